import Foundation
import KeyrotCore
import PostgresNIO

/// The statements the PostgreSQL store's transactions are made of, on one connection inside one transaction.
/// Internal: callers see only whole intentions. Key states are bound as values (``KeyrotCore/KeyState``'s raw
/// values), never spelled in SQL.
struct PostgresStatements {
    /// The first key of the two-key advisory locks that serialize the changes of one workspace across hosts.
    static let workspaceLockSpace: Int32 = 0x6b72_0001

    let session: PostgresSession
    let connection: PostgresConnection

    @discardableResult
    func run(_ query: PostgresQuery) throws -> PostgresQueryResult {
        try session.run(query, on: connection)
    }

    /// Rows of `query`, each as a random-access row.
    func rows(_ query: PostgresQuery) throws -> [PostgresRandomAccessRow] {
        try run(query).map { $0.makeRandomAccess() }
    }

    /// Waits until no other transaction, on this host or another, is changing workspace `name` (or creating it),
    /// and keeps others waiting until this one ends.
    func lockWorkspace(_ name: WorkspaceName) throws {
        try run("SELECT pg_advisory_xact_lock(\(Self.workspaceLockSpace), hashtext(\(name.rawValue)))")
    }

    /// Reads the workspace and asks the lifecycle what `request` does to it.
    func decide(
        _ request: LifecycleRequest,
        on name: WorkspaceName,
        at now: Timestamp
    ) throws -> (current: (id: Int64, state: WorkspaceState)?, decision: LifecycleDecision) {
        let current = try workspaceState(named: name)
        var lookupError: (any Error)?
        let decision = try KeyLifecycle.decide(request, for: name, current: current?.state, at: now) { keyID in
            do { return try keyIDExists(keyID) } catch {
                // "Not taken" ends the lifecycle's search for a free id; the decision is dropped for the error.
                lookupError = error
                return false
            }
        }
        if let lookupError { throw lookupError }
        return (current, decision)
    }

    func workspaceIfExists(named name: WorkspaceName) throws -> (id: Int64, policy: WorkspacePolicy)? {
        try rows("SELECT * FROM workspaces WHERE name = \(name.rawValue)").first.map { row in
            (try row.value("id", as: Int64.self), try WorkspacePolicy(postgres: row))
        }
    }

    func workspace(named name: WorkspaceName) throws -> (id: Int64, policy: WorkspacePolicy) {
        guard let workspace = try workspaceIfExists(named: name) else {
            throw KeyrotError.workspaceNotFound(name.rawValue)
        }
        return workspace
    }

    /// The workspace's row id and its whole state (policy, every key, the next generation, its provider jobs); nil
    /// if it does not exist.
    func workspaceState(named name: WorkspaceName) throws -> (id: Int64, state: WorkspaceState)? {
        // The next generation comes with the workspace's row: each round trip is a wait on the server.
        let row = try rows(
            """
            SELECT w.*, (SELECT coalesce(max(generation), 0) + 1 FROM keys WHERE workspace_id = w.id) AS next
            FROM workspaces AS w WHERE w.name = \(name.rawValue)
            """
        ).first
        guard let row else { return nil }
        let workspace = (id: try row.value("id", as: Int64.self), policy: try WorkspacePolicy(postgres: row))
        let nextGeneration = try row.value("next", as: Int64.self)
        let keys = try keys(of: workspace.id)
        let jobs = try rows(
            """
            SELECT \(unescaped: ProviderJob.selection) FROM provider_jobs WHERE workspace_id = \(workspace.id)
            ORDER BY id
            """
        ).map(ProviderJob.init(postgres:))
        let state = WorkspaceState(
            name: name,
            policy: workspace.policy,
            keys: keys,
            nextGeneration: nextGeneration,
            providerJobs: jobs
        )
        return (workspace.id, state)
    }

    /// Every key of the workspace, oldest first.
    func keys(of workspaceID: Int64) throws -> [KeyRecord] {
        try rows(
            """
            SELECT \(unescaped: KeyRecord.selection) FROM keys AS k JOIN workspaces AS w ON w.id = k.workspace_id
            WHERE k.workspace_id = \(workspaceID) ORDER BY k.generation
            """
        ).map(KeyRecord.init(postgres:))
    }

    /// Whether any workspace has a key with this id, or has reserved it for a secret being created at its provider.
    func keyIDExists(_ keyID: String) throws -> Bool {
        try rows(
            """
            SELECT EXISTS (SELECT 1 FROM keys WHERE key_id = \(keyID))
                OR EXISTS (SELECT 1 FROM provider_jobs WHERE kind = 'create' AND key_id = \(keyID)) AS taken
            """
        ).first!.value("taken")
    }

    func insertWorkspace(_ name: WorkspaceName, policy: WorkspacePolicy, at now: Timestamp) throws -> Int64 {
        let p = policy.columns
        return try rows(
            """
            INSERT INTO workspaces (name, algorithm, rotate_every_seconds, grace_seconds, token_ttl_seconds,
                max_token_ttl_seconds, require_kid, clock_skew_seconds, signers, provider, created_at)
            VALUES (\(name.rawValue), \(p.algorithm), \(p.rotateEvery), \(p.grace), \(p.tokenTTL), \(p.maxTokenTTL),
                \(p.requireKeyID), \(p.clockSkew), \(p.signers), \(p.provider), \(now.secondsSinceEpoch))
            RETURNING id
            """
        ).first!.value("id")
    }

    func updatePolicy(of workspaceID: Int64, to policy: WorkspacePolicy) throws {
        let p = policy.columns
        try run(
            """
            UPDATE workspaces SET algorithm = \(p.algorithm), rotate_every_seconds = \(p.rotateEvery),
                grace_seconds = \(p.grace), token_ttl_seconds = \(p.tokenTTL), max_token_ttl_seconds = \(p.maxTokenTTL),
                require_kid = \(p.requireKeyID), clock_skew_seconds = \(p.clockSkew), signers = \(p.signers),
                provider = \(p.provider)
            WHERE id = \(workspaceID)
            """
        )
    }

    func insertKey(_ key: NewKey, sealed: Data, workspaceID: Int64, at now: Timestamp) throws {
        let activatedAt = key.state == .active ? now.secondsSinceEpoch : nil
        try run(
            """
            INSERT INTO keys (workspace_id, key_id, generation, algorithm, state, sealed_secret, created_at,
                activated_at, provider_secret_id)
            VALUES (\(workspaceID), \(key.keyID), \(key.generation), \(key.algorithm.rawValue), \(key.state.rawValue),
                \(sealed), \(now.secondsSinceEpoch), \(activatedAt), \(key.providerSecretID))
            """
        )
    }

    /// Sets columns of one key of the workspace: `assignments` is the SET clause with its values.
    func updateKey(_ keyID: String, of workspaceID: Int64, _ assignments: PostgresQuery) throws {
        var binds = assignments.binds
        binds.append(workspaceID)
        binds.append(keyID)
        let query = PostgresQuery(
            unsafeSQL: """
                UPDATE keys SET \(assignments.sql)
                WHERE workspace_id = $\(binds.count - 1) AND key_id = $\(binds.count)
                """,
            binds: binds
        )
        guard try run(query).metadata.rows == 1 else {
            throw StoreError.databaseFailed(
                problem: "the lifecycle changed key \(keyID), which its workspace does not have"
            )
        }
    }

    func insertProviderJob(_ job: ProviderJob, workspaceID: Int64) throws {
        try run(
            """
            INSERT INTO provider_jobs (workspace_id, kind, key_id, provider_secret_id, urgent, attempts, not_before,
                last_error, blocked, created_at)
            VALUES (\(workspaceID), \(job.kind.rawValue), \(job.keyID), \(job.providerSecretID), \(job.urgent),
                \(Int64(job.attempts)), \(job.notBefore.secondsSinceEpoch), \(job.lastError), \(job.blocked),
                \(job.createdAt.secondsSinceEpoch))
            """
        )
    }

    func updateProviderJob(_ job: ProviderJob, workspaceID: Int64) throws {
        let changed = try run(
            """
            UPDATE provider_jobs SET urgent = \(job.urgent), attempts = \(Int64(job.attempts)),
                not_before = \(job.notBefore.secondsSinceEpoch), last_error = \(job.lastError), blocked = \(job.blocked)
            WHERE workspace_id = \(workspaceID) AND kind = \(job.kind.rawValue) AND key_id = \(job.keyID)
            """
        )
        guard changed.metadata.rows == 1 else {
            throw StoreError.databaseFailed(problem: "the lifecycle changed a provider job it lacks")
        }
    }

    func deleteProviderJob(_ kind: ProviderJob.Kind, keyID: String, workspaceID: Int64) throws {
        let deleted = try run(
            """
            DELETE FROM provider_jobs
            WHERE workspace_id = \(workspaceID) AND kind = \(kind.rawValue) AND key_id = \(keyID)
            """
        )
        guard deleted.metadata.rows == 1 else {
            throw StoreError.databaseFailed(problem: "the lifecycle removed a provider job it lacks")
        }
    }

    /// Appends one audit row through `audit_append`, whose trigger links it into the hash chain (and takes the log's
    /// lock until the transaction ends: see ``newestAuditEntries(of:limit:)``).
    func appendAudit(
        at now: Timestamp,
        workspace: WorkspaceName?,
        event: AuditEvent,
        keyID: String?,
        previousKeyID: String? = nil,
        reason: String?,
        detail: String? = nil,
        actor: AuditActor
    ) throws {
        // PostgreSQL's text cannot hold a NUL; refuse such text with the same error as the SQLite store.
        for (field, text) in [("reason", reason), ("detail", detail), ("key id", keyID)]
        where text?.contains("\u{0}") == true {
            throw KeyrotError.invalidText(field: field)
        }
        try run(
            """
            INSERT INTO audit_append
                (at, workspace, event, key_id, previous_key_id, reason, detail, actor_uid, actor_pid)
            VALUES (\(now.secondsSinceEpoch), \(workspace?.rawValue), \(event.rawValue), \(keyID), \(previousKeyID),
                \(reason), \(detail), \(actor.uid), \(actor.pid))
            """
        )
    }

    /// The newest `limit` rows of the audit log (of workspace `name`, or of all), oldest first. Right after
    /// ``appendAudit(at:workspace:event:keyID:previousKeyID:reason:detail:actor:)``, the newest rows of all are the
    /// ones this transaction appended: it holds the log's lock, so no other host's rows come between.
    func newestAuditEntries(of name: WorkspaceName? = nil, limit: Int) throws -> [AuditEntry] {
        guard limit > 0 else { return [] }
        return try rows(
            """
            SELECT \(unescaped: AuditEntry.selection) FROM audit_log
            WHERE \(name?.rawValue)::text IS NULL OR workspace = \(name?.rawValue)
            ORDER BY seq DESC LIMIT \(Int64(limit))
            """
        ).reversed().map(AuditEntry.init(postgres:))
    }

    /// Moves the workspace's revision on and tells every host listening on the change channel (at commit: a
    /// notification of a transaction that rolls back is never sent).
    /// - Returns: the workspace's new revision.
    func announceChange(of workspaceID: Int64, named name: WorkspaceName) throws -> Int64 {
        try rows(
            """
            UPDATE workspaces SET revision = nextval('workspace_revisions') WHERE id = \(workspaceID)
            RETURNING revision, pg_notify(\(PostgresKeyStore.changeChannel), \(name.rawValue))::text AS notified
            """
        ).first!.value("revision", as: Int64.self)
    }
}
