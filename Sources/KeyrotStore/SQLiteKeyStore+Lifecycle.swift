import Foundation
import GRDB
import KeyrotCore

extension SQLiteKeyStore {
    /// Carries out `request` on workspace `name` in one transaction: re-reads the workspace inside it, asks
    /// ``KeyrotCore/KeyLifecycle/decide(_:for:current:at:isKeyIDTaken:)``, applies the changes and appends the audit
    /// rows. The store decides nothing itself. Once a change is committed, every ``observeChanges(_:)`` observer
    /// hears of it.
    ///
    /// - Parameter sealImported: seals an imported secret for its final key id (only an import needs it).
    /// - Returns: the decision, the audit rows as written (none when there was nothing to do), and the commit's
    ///   place in the store's order of commits.
    /// - Throws: the lifecycle's refusal (``KeyrotCore/KeyrotError``), or a store or database error; either way
    ///   nothing was changed.
    public func perform(
        _ request: LifecycleRequest,
        on name: WorkspaceName,
        at now: Timestamp,
        actor: AuditActor,
        sealImported: ((_ keyID: String) throws -> Data)?
    ) throws(StoreError) -> LifecycleOutcome {
        let outcome = try write(.workspace(name)) { db in
            let (current, decision) = try Self.decide(request, on: name, at: now, in: db)
            var workspaceID = current?.id
            for change in decision.changes {
                try apply(change, workspace: name, id: &workspaceID, at: now, sealImported: sealImported, in: db)
            }
            let entries = try decision.audit.map { record in
                try db.appendAudit(
                    at: now,
                    workspace: name,
                    event: record.event,
                    keyID: record.keyID,
                    previousKeyID: record.previousKeyID,
                    reason: record.reason,
                    detail: record.detail,
                    actor: actor
                )
            }
            // Counted inside the writer, which runs one transaction at a time: the order is the order of commits.
            return LifecycleOutcome(decision: decision, entries: entries, order: nextCommitOrder())
        }
        if outcome.decision.changes.contains(where: \.destroysMaterial) { purgeDestroyedMaterial() }
        if !outcome.decision.isEmpty {
            notifyObservers(CommittedChange(workspace: outcome.decision.result, order: outcome.order))
        }
        return outcome
    }

    /// What `request` would do to the workspace as it is stored now, read without writing: so a refusal (a key
    /// that does not exist, or is revoked already) is known even while the store cannot take a change.
    public func decision(
        for request: LifecycleRequest,
        on name: WorkspaceName,
        at now: Timestamp
    ) throws(StoreError) -> LifecycleDecision {
        try read { db in try Self.decide(request, on: name, at: now, in: db).decision }
    }

    /// Reads the workspace in `db` and asks the lifecycle what `request` does to it.
    private static func decide(
        _ request: LifecycleRequest,
        on name: WorkspaceName,
        at now: Timestamp,
        in db: Database
    ) throws -> (current: (id: Int64, state: WorkspaceState)?, decision: LifecycleDecision) {
        let current = try db.workspaceState(named: name)
        var lookupError: (any Error)?
        let decision = try KeyLifecycle.decide(request, for: name, current: current?.state, at: now) { keyID in
            do { return try db.keyIDExists(keyID) } catch {
                // "Not taken" ends the lifecycle's search for a free id; the decision is dropped for the error.
                lookupError = error
                return false
            }
        }
        if let lookupError { throw lookupError }
        return (current, decision)
    }

    private func apply(
        _ change: LifecycleChange,
        workspace name: WorkspaceName,
        id workspaceID: inout Int64?,
        at now: Timestamp,
        sealImported: ((String) throws -> Data)?,
        in db: Database
    ) throws {
        if case .createWorkspace(let policy) = change {
            workspaceID = try db.insertWorkspace(name, policy: policy, at: now)
            return
        }
        guard let workspaceID else { preconditionFailure("the lifecycle changed a workspace it did not create") }
        switch change {
        case .createWorkspace:
            preconditionFailure("handled above")
        case .setPolicy(let policy):
            try db.updatePolicy(of: workspaceID, to: policy)
        case .insertKey(let key):
            let sealed = try sealer.sealedSecret(for: key, of: name, imported: sealImported)
            try db.insertKey(key, sealed: sealed, workspaceID: workspaceID, at: now)
        case .activate(let keyID):
            try db.updateKey(
                keyID,
                of: workspaceID,
                set: "state = ?, activated_at = ?",
                [KeyState.active.rawValue, now.secondsSinceEpoch]
            )
        case .demoteToGrace(let keyID, let graceUntil):
            try db.updateKey(
                keyID,
                of: workspaceID,
                set: "state = ?, grace_until = ?",
                [KeyState.grace.rawValue, graceUntil.secondsSinceEpoch]
            )
        case .revoke(let keyID, let leaked):
            try db.updateKey(
                keyID,
                of: workspaceID,
                set: "state = ?, leaked = ?, revoked_at = ?, sealed_secret = NULL",
                [KeyState.revoked.rawValue, leaked, now.secondsSinceEpoch]
            )
        case .markLeaked(let keyID):
            try db.updateKey(keyID, of: workspaceID, set: "leaked = ?", [true])
        case .retire(let keyID):
            try db.updateKey(
                keyID,
                of: workspaceID,
                set: "state = ?, retired_at = ?, sealed_secret = NULL",
                [KeyState.retired.rawValue, now.secondsSinceEpoch]
            )
        case .addProviderJob(let job):
            try db.insertProviderJob(job, workspaceID: workspaceID)
        case .updateProviderJob(let job):
            try db.updateProviderJob(job, workspaceID: workspaceID)
        case .removeProviderJob(let kind, let keyID):
            try db.deleteProviderJob(kind, keyID: keyID, workspaceID: workspaceID)
        }
    }
}
