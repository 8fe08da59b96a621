/// One step of a rotation that the provider must carry out, recorded in the database until it is done: create a
/// secret there (which becomes the workspace's active key), or delete one there (a key that was replaced, revoked
/// or flagged as leaked).
///
/// A job is named by its kind and key id (key ids are unique), so a report from the provider agent that arrives
/// twice, or after a restart, finds the same job or none.
public struct ProviderJob: Hashable, Sendable {
    /// What the provider is asked to do.
    public enum Kind: String, Hashable, Sendable, CaseIterable {
        /// Create a secret; it becomes key `keyID`, the active key, once the agent hands it over.
        case create
        /// Delete the provider's secret of key `keyID`.
        case delete
    }

    public var kind: Kind
    /// For a creation, the id the new key gets (reserved: no other key takes it); for a deletion, the key whose
    /// secret goes.
    public var keyID: String
    /// For a deletion, the provider's id of the secret.
    public var providerSecretID: String?
    /// A leaked or revoked secret to delete, or the replacement of a refused key: done before anything else.
    public var urgent: Bool
    /// Failed attempts so far.
    public var attempts: Int
    /// The earliest moment of the next attempt.
    public var notBefore: Timestamp
    /// Why the last attempt failed (no secret material: the provider's status and error code).
    public var lastError: String?
    /// The provider refused the credentials (401 or 403): no retry until the configuration is reloaded.
    public var blocked: Bool
    public var createdAt: Timestamp

    public init(
        kind: Kind,
        keyID: String,
        providerSecretID: String? = nil,
        urgent: Bool,
        attempts: Int = 0,
        notBefore: Timestamp,
        lastError: String? = nil,
        blocked: Bool = false,
        createdAt: Timestamp
    ) {
        self.kind = kind
        self.keyID = keyID
        self.providerSecretID = providerSecretID
        self.urgent = urgent
        self.attempts = attempts
        self.notBefore = notBefore
        self.lastError = lastError
        self.blocked = blocked
        self.createdAt = createdAt
    }

    /// Whether the agent should try the job at `now`.
    public func isDue(at now: Timestamp) -> Bool {
        !blocked && notBefore <= now
    }

    /// The order the agent works in: urgent deletions (a leaked secret the provider still accepts) first, then
    /// urgent creations, then the rest, each oldest first.
    public static func workOrder(_ lhs: ProviderJob, _ rhs: ProviderJob) -> Bool {
        func rank(_ job: ProviderJob) -> Int {
            switch (job.urgent, job.kind) {
            case (true, .delete): 0
            case (true, .create): 1
            case (false, .delete): 2
            case (false, .create): 3
            }
        }
        return (rank(lhs), lhs.createdAt, lhs.keyID) < (rank(rhs), rhs.createdAt, rhs.keyID)
    }
}
