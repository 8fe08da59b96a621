import GRDB
import KeyrotCore

extension KeyStore {
    /// Rotates the workspace's key, in one transaction with its audit row.
    ///
    /// A scheduled rotation happens only if the active key is due at `now` (so a catch-up after downtime
    /// happens once, and a repeated call is harmless) and returns no rows otherwise. A manual rotation happens
    /// now, with the same grace; an emergency rotation happens now and revokes the old active key.
    @discardableResult
    public func rotate(
        _ name: WorkspaceName,
        mode: RotationMode,
        reason: String?,
        at now: Timestamp,
        actor: AuditActor
    ) throws -> [AuditEntry] {
        try write { db in
            let workspace = try db.workspace(named: name)
            if mode == .scheduled, let active = try db.keys(of: workspace.id, where: "k.state = 'active'").first {
                let activatedAt = active.record.activatedAt ?? active.record.createdAt
                guard KeyLifecycle.rotationDue(activatedAt: activatedAt, policy: workspace.policy) <= now else {
                    return []
                }
            }
            return [
                try rotateNow(
                    in: db,
                    name,
                    workspace: workspace,
                    mode: mode,
                    successor: mode == .emergency ? .fresh : .oldestPending,
                    reason: reason,
                    at: now,
                    actor: actor
                )
            ]
        }
    }

    /// Replaces the active key now, inside the caller's transaction: the old one to grace (scheduled) or revoked
    /// (emergency), a successor active; appends the audit row.
    func rotateNow(
        in db: Database,
        _ name: WorkspaceName,
        workspace: (id: Int64, policy: WorkspacePolicy),
        mode: RotationMode,
        successor: Successor,
        reason: String?,
        at now: Timestamp,
        actor: AuditActor
    ) throws -> AuditEntry {
        let active = try db.keys(of: workspace.id, where: "k.state = 'active'").first
        if let active {
            switch mode {
            case .scheduled, .manual:
                let end = KeyLifecycle.graceUntil(
                    now: now,
                    grace: workspace.policy.grace,
                    tokensValidUntil: active.record.tokensValidUntil
                )
                try db.cachedStatement(sql: "UPDATE keys SET state = 'grace', grace_until = ? WHERE id = ?")
                    .execute(arguments: [end.secondsSinceEpoch, active.rowID])
            case .emergency:
                try db.revokeKey(rowID: active.rowID, leaked: false, at: now)
            }
        }
        let keyID = try activateSuccessor(
            successor,
            in: db,
            workspace: name,
            id: workspace.id,
            policy: workspace.policy,
            at: now
        )
        return try db.appendAudit(
            at: now,
            workspace: name,
            event: mode == .emergency ? .emergencyRotated : .rotated,
            keyID: keyID,
            previousKeyID: active?.record.keyID,
            reason: reason,
            actor: actor
        )
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
    ) throws -> [AuditEntry] {
        try withdraw(name, keyID: keyID, leaked: true, reason: reason, at: now, actor: actor)
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
    ) throws -> [AuditEntry] {
        try withdraw(name, keyID: keyID, leaked: false, reason: reason, at: now, actor: actor)
    }

    /// Retires a grace key whose window has closed at `now`, destroying its material. Returns no rows if the
    /// key is not (or no longer) a grace key past its window.
    @discardableResult
    public func retireExpiredGraceKey(
        _ name: WorkspaceName,
        keyID: String,
        at now: Timestamp,
        actor: AuditActor
    ) throws -> [AuditEntry] {
        try write { db in
            let workspace = try db.workspace(named: name)
            guard
                let key = try db.keys(of: workspace.id, where: "k.key_id = ? AND k.state = 'grace'", arguments: [keyID])
                    .first,
                let end = key.record.graceUntil, end <= now
            else { return [] }
            try db.cachedStatement(
                sql: "UPDATE keys SET state = 'retired', retired_at = ?, sealed_secret = NULL WHERE id = ?"
            ).execute(arguments: [now.secondsSinceEpoch, key.rowID])
            return [
                try db.appendAudit(
                    at: now,
                    workspace: name,
                    event: .graceExpired,
                    keyID: keyID,
                    reason: nil,
                    detail: "grace ended \(end.iso8601)",
                    actor: actor
                )
            ]
        }
    }

    private func withdraw(
        _ name: WorkspaceName,
        keyID: String,
        leaked: Bool,
        reason: String?,
        at now: Timestamp,
        actor: AuditActor
    ) throws -> [AuditEntry] {
        try write { db in
            let workspace = try db.workspace(named: name)
            guard let key = try db.keys(of: workspace.id, where: "k.key_id = ?", arguments: [keyID]).first else {
                throw KeyrotError.keyNotFound(workspace: name.rawValue, keyID: keyID)
            }
            switch key.record.state {
            case .retired:
                throw KeyrotError.keyNotRevocable(keyID: keyID, state: .retired)
            case .revoked where !leaked:
                throw KeyrotError.keyNotRevocable(keyID: keyID, state: .revoked)
            case .revoked where key.record.leaked:
                return []
            case .revoked:
                try db.execute(sql: "UPDATE keys SET leaked = 1 WHERE id = ?", arguments: [key.rowID])
            case .pending, .active, .grace:
                try db.revokeKey(rowID: key.rowID, leaked: leaked, at: now)
            }
            var entries = [
                try db.appendAudit(
                    at: now,
                    workspace: name,
                    event: leaked ? .leakFlagged : .revoked,
                    keyID: keyID,
                    reason: reason,
                    actor: actor
                )
            ]
            if key.record.state == .active {
                let successor = try activateSuccessor(
                    .fresh,
                    in: db,
                    workspace: name,
                    id: workspace.id,
                    policy: workspace.policy,
                    at: now
                )
                entries.append(
                    try db.appendAudit(
                        at: now,
                        workspace: name,
                        event: .emergencyRotated,
                        keyID: successor,
                        previousKeyID: keyID,
                        reason: reason,
                        actor: actor
                    )
                )
            }
            return entries
        }
    }

    /// Which key becomes active when the active key is replaced.
    enum Successor {
        /// A freshly generated key (always so for emergencies: a pending key may be as exposed as the old one).
        case fresh
        /// The oldest pending key of the policy's algorithm, else a fresh one.
        case oldestPending
        /// This pending key (by row id).
        case pending(rowID: Int64)
    }

    /// Makes `successor` the workspace's active key (the old one must be demoted already); returns its id.
    private func activateSuccessor(
        _ successor: Successor,
        in db: Database,
        workspace name: WorkspaceName,
        id workspaceID: Int64,
        policy: WorkspacePolicy,
        at now: Timestamp
    ) throws -> String {
        let chosen: (rowID: Int64, record: KeyRecord)?
        switch successor {
        case .fresh:
            chosen = nil
        case .oldestPending:
            chosen = try db.keys(
                of: workspaceID,
                where: "k.state = 'pending' AND k.algorithm = ?",
                arguments: [policy.algorithm.rawValue]
            ).first
        case .pending(let rowID):
            chosen = try db.keys(of: workspaceID, where: "k.id = ? AND k.state = 'pending'", arguments: [rowID]).first
        }
        if let chosen {
            try db.cachedStatement(sql: "UPDATE keys SET state = 'active', activated_at = ? WHERE id = ?")
                .execute(arguments: [now.secondsSinceEpoch, chosen.rowID])
            return chosen.record.keyID
        }
        return try db.insertGeneratedKey(
            workspaceID: workspaceID,
            workspace: name,
            algorithm: policy.algorithm,
            state: .active,
            at: now,
            sealer: sealer
        )
    }
}

extension Database {
    fileprivate func revokeKey(rowID: Int64, leaked: Bool, at now: Timestamp) throws {
        try cachedStatement(
            sql: "UPDATE keys SET state = 'revoked', leaked = ?, revoked_at = ?, sealed_secret = NULL WHERE id = ?"
        ).execute(arguments: [leaked, now.secondsSinceEpoch, rowID])
    }
}
