/// One row of the append-only audit log, as written: what happened, to which keys, by whom, and the chain
/// hash that seals it and every row before it.
public struct AuditEntry: Hashable, Sendable {
    public var seq: Int64
    public var at: Timestamp
    /// The workspace changed; nil for a change to the whole database (``AuditEvent/masterKeyRotated``).
    public var workspace: WorkspaceName?
    public var event: AuditEvent
    public var keyID: String?
    public var previousKeyID: String?
    public var reason: String?
    public var detail: String?
    public var actor: AuditActor
    /// SHA3-256 chain hash after this row, lowercase hex.
    public var chainHash: String

    public init(
        seq: Int64,
        at: Timestamp,
        workspace: WorkspaceName?,
        event: AuditEvent,
        keyID: String?,
        previousKeyID: String?,
        reason: String?,
        detail: String?,
        actor: AuditActor,
        chainHash: String
    ) {
        self.seq = seq
        self.at = at
        self.workspace = workspace
        self.event = event
        self.keyID = keyID
        self.previousKeyID = previousKeyID
        self.reason = reason
        self.detail = detail
        self.actor = actor
        self.chainHash = chainHash
    }
}
