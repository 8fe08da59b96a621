/// The key transitions, one intention and one transaction each; the rules are ``KeyrotCore/KeyLifecycle``'s.
extension KeyStore {
    /// Rotates the workspace's key, in one transaction with its audit row.
    ///
    /// A scheduled rotation happens only if the workspace is due at `now` (so a catch-up after downtime happens
    /// once, and a repeated call is harmless) and returns no rows otherwise. A manual rotation happens now, with the
    /// same grace; an emergency rotation happens now and revokes the old active key.
    @discardableResult
    public func rotate(
        _ name: WorkspaceName,
        mode: RotationMode,
        reason: String?,
        at now: Timestamp,
        actor: AuditActor
    ) throws(StoreError) -> [AuditEntry] {
        try perform(.rotate(mode, reason: reason), on: name, at: now, actor: actor).entries
    }

    /// Flags a key as leaked: it is revoked (material destroyed) and marked leaked; if it was the active key,
    /// an emergency rotation replaces it in the same transaction. Returns the audit rows (`leak_flagged`, then
    /// `emergency_rotated` if any); none if the key was flagged already.
    @discardableResult
    public func flagLeak(
        _ name: WorkspaceName,
        keyID: String,
        reason: String?,
        at now: Timestamp,
        actor: AuditActor
    ) throws(StoreError) -> [AuditEntry] {
        try perform(.flagLeak(keyID: keyID, reason: reason), on: name, at: now, actor: actor).entries
    }

    /// Revokes a key: it never verifies again and its material is destroyed; if it was the active key, an
    /// emergency rotation replaces it in the same transaction.
    ///
    /// - Throws: ``KeyrotCore/KeyrotError/keyNotRevocable(keyID:state:)`` for a retired or revoked key.
    @discardableResult
    public func revoke(
        _ name: WorkspaceName,
        keyID: String,
        reason: String?,
        at now: Timestamp,
        actor: AuditActor
    ) throws(StoreError) -> [AuditEntry] {
        try perform(.revoke(keyID: keyID, reason: reason), on: name, at: now, actor: actor).entries
    }

    /// Retires a grace key whose window has closed at `now`, destroying its material. Returns no rows if the
    /// key is not (or no longer) a grace key past its window.
    @discardableResult
    public func retireExpiredGraceKey(
        _ name: WorkspaceName,
        keyID: String,
        at now: Timestamp,
        actor: AuditActor
    ) throws(StoreError) -> [AuditEntry] {
        try perform(.retireExpiredGrace(keyID: keyID), on: name, at: now, actor: actor).entries
    }
}
