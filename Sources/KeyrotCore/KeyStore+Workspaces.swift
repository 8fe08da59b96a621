/// Creating workspaces and changing their policies, one intention and one transaction each; the rules are
/// ``KeyrotCore/KeyLifecycle``'s.
extension KeyStore {
    /// Creates a workspace with `policy` and its first active key, in one transaction with its audit row.
    ///
    /// - Throws: ``KeyrotCore/KeyrotError/workspaceExists(_:)`` if the name is taken.
    @discardableResult
    public func createWorkspace(
        _ name: WorkspaceName,
        policy: WorkspacePolicy,
        at now: Timestamp,
        actor: AuditActor,
        reason: String? = nil
    ) throws(StoreError) -> [AuditEntry] {
        try perform(.create(policy, reason: reason), on: name, at: now, actor: actor).entries
    }

    /// Makes the workspace exist with exactly `policy`: creates it, or updates its policy if it differs, or
    /// does nothing. Returns the audit rows written (none when nothing changed). Never deletes anything.
    @discardableResult
    public func ensureWorkspace(
        _ name: WorkspaceName,
        policy: WorkspacePolicy,
        at now: Timestamp,
        actor: AuditActor,
        reason: String? = nil
    ) throws(StoreError) -> [AuditEntry] {
        try perform(.declare(policy, reason: reason), on: name, at: now, actor: actor).entries
    }

    /// Changes a workspace's policy, in one transaction with its audit row (none if the policy is unchanged); a
    /// new algorithm rotates to a key of its own in the same transaction.
    @discardableResult
    public func updateWorkspace(
        _ name: WorkspaceName,
        policy: WorkspacePolicy,
        at now: Timestamp,
        actor: AuditActor,
        reason: String? = nil
    ) throws(StoreError) -> [AuditEntry] {
        try perform(.changePolicy(policy, reason: reason), on: name, at: now, actor: actor).entries
    }
}
