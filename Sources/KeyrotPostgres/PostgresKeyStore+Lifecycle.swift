import Foundation
import KeyrotCore
import PostgresNIO

extension PostgresKeyStore {
    /// Carries out `request` on workspace `name` in one transaction: takes the workspace's lock (another host
    /// changing the same workspace waits, then decides on what this one committed), re-reads the workspace, asks
    /// ``KeyrotCore/KeyLifecycle/decide(_:for:current:at:isKeyIDTaken:)``, applies the changes, appends the audit
    /// rows and announces the change to the other hosts. The store decides nothing itself.
    public func perform(
        _ request: LifecycleRequest,
        on name: WorkspaceName,
        at now: Timestamp,
        actor: AuditActor,
        sealImported: ((_ keyID: String) throws -> Data)?
    ) throws(StoreError) -> LifecycleOutcome {
        let (outcome, revision) = try write(.workspace(name)) { connection in
            let statements = PostgresStatements(session: writer, connection: connection)
            try statements.lockWorkspace(name)
            let (current, decision) = try statements.decide(request, on: name, at: now)
            var workspaceID = current?.id
            for change in decision.changes {
                try apply(change, workspace: name, id: &workspaceID, at: now, sealImported: sealImported, statements)
            }
            for record in decision.audit {
                try statements.appendAudit(
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
            let entries = try statements.newestAuditEntries(limit: decision.audit.count)
            var revision: Int64?
            if !decision.isEmpty, let workspaceID {
                revision = try statements.announceChange(of: workspaceID, named: name)
            }
            return (LifecycleOutcome(decision: decision, entries: entries, order: nextCommitOrder()), revision)
        }
        if let revision { bookkeeping.withLockedValue { $0.seen(revision, of: name) } }
        if !outcome.decision.isEmpty {
            notifyObservers(CommittedChange(workspace: outcome.decision.result, order: outcome.order))
        }
        return outcome
    }

    public func decision(
        for request: LifecycleRequest,
        on name: WorkspaceName,
        at now: Timestamp
    ) throws(StoreError) -> LifecycleDecision {
        try read { connection in
            try PostgresStatements(session: reader, connection: connection).decide(request, on: name, at: now).decision
        }
    }

    private func apply(
        _ change: LifecycleChange,
        workspace name: WorkspaceName,
        id workspaceID: inout Int64?,
        at now: Timestamp,
        sealImported: ((String) throws -> Data)?,
        _ statements: PostgresStatements
    ) throws {
        if case .createWorkspace(let policy) = change {
            workspaceID = try statements.insertWorkspace(name, policy: policy, at: now)
            return
        }
        guard let workspaceID else { preconditionFailure("the lifecycle changed a workspace it did not create") }
        switch change {
        case .createWorkspace:
            preconditionFailure("handled above")
        case .setPolicy(let policy):
            try statements.updatePolicy(of: workspaceID, to: policy)
        case .insertKey(let key):
            let sealed = try sealer.sealedSecret(for: key, of: name, imported: sealImported)
            try statements.insertKey(key, sealed: sealed, workspaceID: workspaceID, at: now)
        case .activate(let keyID):
            try statements.updateKey(
                keyID,
                of: workspaceID,
                "state = \(KeyState.active.rawValue), activated_at = \(now.secondsSinceEpoch)"
            )
        case .demoteToGrace(let keyID, let graceUntil):
            try statements.updateKey(
                keyID,
                of: workspaceID,
                "state = \(KeyState.grace.rawValue), grace_until = \(graceUntil.secondsSinceEpoch)"
            )
        case .revoke(let keyID, let leaked):
            try statements.updateKey(
                keyID,
                of: workspaceID,
                """
                state = \(KeyState.revoked.rawValue), leaked = \(leaked), revoked_at = \(now.secondsSinceEpoch),
                    sealed_secret = NULL
                """
            )
        case .markLeaked(let keyID):
            try statements.updateKey(keyID, of: workspaceID, "leaked = true")
        case .retire(let keyID):
            try statements.updateKey(
                keyID,
                of: workspaceID,
                "state = \(KeyState.retired.rawValue), retired_at = \(now.secondsSinceEpoch), sealed_secret = NULL"
            )
        case .addProviderJob(let job):
            try statements.insertProviderJob(job, workspaceID: workspaceID)
        case .updateProviderJob(let job):
            try statements.updateProviderJob(job, workspaceID: workspaceID)
        case .removeProviderJob(let kind, let keyID):
            try statements.deleteProviderJob(kind, keyID: keyID, workspaceID: workspaceID)
        }
    }
}

extension PostgresKeyStore.Bookkeeping {
    /// Records that the database's revision `revision` of workspace `name` is known here.
    mutating func seen(_ revision: Int64, of name: WorkspaceName) {
        seenRevisions[name] = max(seenRevisions[name] ?? 0, revision)
    }
}
