/// The rules of a key's life (DESIGN §3): when keys are due, how long a replaced key keeps verifying, how keys are
/// named, and, in ``decide(_:for:current:at:isKeyIDTaken:)``, what every request does to a workspace's keys.
public enum KeyLifecycle {
    /// When a key replaced at `now` stops verifying: after the grace period, but never before the last token
    /// it signed expires, so a scheduled rotation kills no token early.
    public static func graceUntil(now: Timestamp, grace: TimeSpan, tokensValidUntil: Timestamp?) -> Timestamp {
        max(now + grace, tokensValidUntil ?? now)
    }

    /// When a workspace whose signing key is `active` falls due for its scheduled rotation: one period after that
    /// key became active; at `now` if it has no active key (a workspace that cannot sign needs a key at once); never
    /// while its next key is being created at its provider (the provider job is the rotation, already under way).
    public static func rotationDue(
        of active: KeyRecord?,
        policy: WorkspacePolicy,
        now: Timestamp,
        creationPending: Bool = false
    ) -> Timestamp {
        guard !creationPending else { return .distantFuture }
        guard let active else { return now }
        return (active.activatedAt ?? active.createdAt) + policy.rotateEvery
    }

    /// The id of a generated key: `<workspace>.<generation>`, e.g. `acme.17`.
    ///
    /// Readable, and derived from nothing secret; ``decide(_:for:current:at:isKeyIDTaken:)`` skips a generation
    /// whose id is taken already (an imported key may carry any id), so a generated id never collides.
    public static func keyID(workspace: WorkspaceName, generation: Int64) -> String {
        "\(workspace.rawValue).\(generation)"
    }

    /// Whether `keyID` may name a key: 1 to 128 bytes of UTF-8, no white space, no control characters.
    public static func isValidKeyID(_ keyID: String) -> Bool {
        (1...128).contains(keyID.utf8.count) && !keyID.contains(where: { $0.isWhitespace || $0.isNewline })
            && !keyID.unicodeScalars.contains(where: { $0.properties.generalCategory == .control })
    }

    /// Decides what `request` does to workspace `name`, whose stored state is `current` (nil if it does not
    /// exist), at `now`.
    ///
    /// - Parameter isKeyIDTaken: whether a key id is in use by any key of any workspace (key ids are unique
    ///   across the database), as the store sees it inside the same transaction.
    /// - Returns: the changes and audit rows, in the order to apply them; empty when there is nothing to do.
    /// - Throws: a refusal: ``KeyrotError/workspaceNotFound(_:)``, ``KeyrotError/workspaceExists(_:)``,
    ///   ``KeyrotError/keyNotFound(workspace:keyID:)``, ``KeyrotError/keyNotRevocable(keyID:state:)``,
    ///   ``KeyrotError/keyNotActivatable(keyID:why:)``, ``KeyrotError/secretTooShort(minimum:actual:)``,
    ///   ``KeyrotError/invalidKeyID(_:)`` or ``KeyrotError/keyIDTaken(_:)``. A refusal changes nothing.
    public static func decide(
        _ request: LifecycleRequest,
        for name: WorkspaceName,
        current: WorkspaceState?,
        at now: Timestamp,
        isKeyIDTaken: @escaping (String) -> Bool
    ) throws(KeyrotError) -> LifecycleDecision {
        if case .create(let policy, let reason) = request {
            guard current == nil else { throw .workspaceExists(name.rawValue) }
            return create(name, policy: policy, reason: reason, at: now, isKeyIDTaken: isKeyIDTaken)
        }
        if case .declare(let policy, let reason) = request, current == nil {
            return create(name, policy: policy, reason: reason, at: now, isKeyIDTaken: isKeyIDTaken)
        }
        guard let current else { throw .workspaceNotFound(name.rawValue) }
        var transaction = LifecycleTransaction(current, at: now, isKeyIDTaken: isKeyIDTaken)
        switch request {
        case .create:
            preconditionFailure("handled above")
        case .declare(let policy, let reason):
            transaction.changePolicy(to: policy, reason: reason)
            transaction.unblockProviderJobs()
        case .changePolicy(let policy, let reason):
            transaction.changePolicy(to: policy, reason: reason)
        case .rotate(let mode, let reason):
            transaction.rotate(mode, reason: reason)
        case .flagLeak(let keyID, let reason):
            try transaction.withdraw(keyID, leaked: true, reason: reason)
        case .revoke(let keyID, let reason):
            try transaction.withdraw(keyID, leaked: false, reason: reason)
        case .importKey(let imported):
            try transaction.importKey(imported)
        case .activate(let keyID, let reason):
            try transaction.activate(keyID, reason: reason)
        case .retireExpiredGrace(let keyID):
            transaction.retireExpiredGrace(keyID)
        case .providerCreated(let keyID, let providerSecretID, let secretLength):
            try transaction.providerCreated(
                keyID: keyID,
                providerSecretID: providerSecretID,
                secretLength: secretLength
            )
        case .providerDeleted(let keyID):
            try transaction.providerDeleted(keyID: keyID)
        case .providerOrphanDeleted(let providerSecretID, let name):
            try transaction.providerOrphanDeleted(providerSecretID: providerSecretID, name: name)
        case .providerFailed(let kind, let keyID, let failure, let jitter):
            try transaction.providerFailed(kind: kind, keyID: keyID, failure: failure, jitter: jitter)
        }
        return transaction.decision
    }

    private static func create(
        _ name: WorkspaceName,
        policy: WorkspacePolicy,
        reason: String?,
        at now: Timestamp,
        isKeyIDTaken: @escaping (String) -> Bool
    ) -> LifecycleDecision {
        let empty = WorkspaceState(name: name, policy: policy, keys: [], nextGeneration: 1)
        var transaction = LifecycleTransaction(empty, at: now, isKeyIDTaken: isKeyIDTaken)
        transaction.createWorkspace(reason: reason)
        return transaction.decision
    }
}
