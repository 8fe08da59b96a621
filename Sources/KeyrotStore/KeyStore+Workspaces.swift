import GRDB
import KeyrotCore

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
    ) throws -> [AuditEntry] {
        try write { db in
            try Self.create(name, policy: policy, at: now, actor: actor, reason: reason, in: db, sealer: sealer)
        }
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
    ) throws -> [AuditEntry] {
        try write { db in
            guard let current = try db.workspaceIfExists(named: name) else {
                return try Self.create(
                    name,
                    policy: policy,
                    at: now,
                    actor: actor,
                    reason: reason,
                    in: db,
                    sealer: sealer
                )
            }
            return try update(name, current: current, to: policy, at: now, actor: actor, reason: reason, in: db)
        }
    }

    /// Changes a workspace's policy, in one transaction with its audit row (none if the policy is unchanged).
    @discardableResult
    public func updateWorkspace(
        _ name: WorkspaceName,
        policy: WorkspacePolicy,
        at now: Timestamp,
        actor: AuditActor,
        reason: String? = nil
    ) throws -> [AuditEntry] {
        try write { db in
            try update(
                name,
                current: db.workspace(named: name),
                to: policy,
                at: now,
                actor: actor,
                reason: reason,
                in: db
            )
        }
    }

    private static func create(
        _ name: WorkspaceName,
        policy: WorkspacePolicy,
        at now: Timestamp,
        actor: AuditActor,
        reason: String?,
        in db: Database,
        sealer: any KeySealer
    ) throws -> [AuditEntry] {
        if try db.workspaceIfExists(named: name) != nil {
            throw KeyrotError.workspaceExists(name.rawValue)
        }
        try db.cachedStatement(
            sql: """
                INSERT INTO workspaces (name, algorithm, rotate_every_seconds, grace_seconds, token_ttl_seconds,
                    max_token_ttl_seconds, require_kid, clock_skew_seconds, signers, created_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """
        ).execute(
            arguments: [
                name.rawValue, policy.algorithm.rawValue, policy.rotateEvery.seconds, policy.grace.seconds,
                policy.tokenTTL.seconds, policy.maxTokenTTL.seconds, policy.requireKeyID, policy.clockSkew.seconds,
                policy.signers.map(\.description).joined(separator: ","),
                now.secondsSinceEpoch,
            ]
        )
        let keyID = try db.insertGeneratedKey(
            workspaceID: db.lastInsertedRowID,
            workspace: name,
            algorithm: policy.algorithm,
            state: .active,
            at: now,
            sealer: sealer
        )
        let entry = try db.appendAudit(
            at: now,
            workspace: name,
            event: .workspaceCreated,
            keyID: keyID,
            reason: reason,
            detail: policy.description,
            actor: actor
        )
        return [entry]
    }

    /// Writes `policy` and its audit row, naming only the settings that changed; nothing if none did. A new
    /// algorithm needs a key of its own: the workspace rotates to one in the same transaction (the old key keeps
    /// verifying, with its own algorithm, through its grace window).
    private func update(
        _ name: WorkspaceName,
        current: (id: Int64, policy: WorkspacePolicy),
        to policy: WorkspacePolicy,
        at now: Timestamp,
        actor: AuditActor,
        reason: String?,
        in db: Database
    ) throws -> [AuditEntry] {
        guard current.policy != policy else { return [] }
        try db.execute(
            sql: """
                UPDATE workspaces SET algorithm = ?, rotate_every_seconds = ?, grace_seconds = ?,
                    token_ttl_seconds = ?, max_token_ttl_seconds = ?, require_kid = ?, clock_skew_seconds = ?, signers = ?
                WHERE id = ?
                """,
            arguments: [
                policy.algorithm.rawValue, policy.rotateEvery.seconds, policy.grace.seconds, policy.tokenTTL.seconds,
                policy.maxTokenTTL.seconds, policy.requireKeyID, policy.clockSkew.seconds,
                policy.signers.map(\.description).joined(separator: ","), current.id,
            ]
        )
        let entry = try db.appendAudit(
            at: now,
            workspace: name,
            event: .workspaceUpdated,
            keyID: nil,
            reason: reason,
            detail: current.policy.changes(to: policy),
            actor: actor
        )
        guard policy.algorithm != current.policy.algorithm else { return [entry] }
        let rotation = try rotateNow(
            in: db,
            name,
            workspace: (current.id, policy),
            mode: .scheduled,
            successor: .fresh,
            reason: "algorithm changed to \(policy.algorithm.rawValue)",
            at: now,
            actor: actor
        )
        return [entry, rotation]
    }
}
