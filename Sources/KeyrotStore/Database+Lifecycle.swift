import Foundation
import GRDB
import KeyrotCore

/// The statements that read a workspace for the lifecycle and apply its changes. Internal: callers see only whole
/// intentions. Key states are bound as values (``KeyrotCore/KeyState``'s raw values), never spelled in SQL.
extension Database {
    /// The workspace's row id and its whole state (policy, every key, the next generation); nil if it does not
    /// exist.
    func workspaceState(named name: WorkspaceName) throws -> (id: Int64, state: WorkspaceState)? {
        guard let workspace = try workspaceIfExists(named: name) else { return nil }
        let nextGeneration = try Int64.fetchOne(
            cachedStatement(sql: "SELECT coalesce(max(generation), 0) + 1 FROM keys WHERE workspace_id = ?"),
            arguments: [workspace.id]
        )!
        let state = WorkspaceState(
            name: name,
            policy: workspace.policy,
            keys: try keys(of: workspace.id).map(\.record),
            nextGeneration: nextGeneration,
            providerJobs: try providerJobs(of: workspace.id)
        )
        return (workspace.id, state)
    }

    /// The provider jobs of one workspace, oldest first.
    func providerJobs(of workspaceID: Int64) throws -> [ProviderJob] {
        try Row.fetchAll(
            cachedStatement(
                sql: "SELECT \(ProviderJob.selection) FROM provider_jobs WHERE workspace_id = ? ORDER BY id"
            ),
            arguments: [workspaceID]
        ).map(ProviderJob.init(row:))
    }

    /// Whether any workspace has a key with this id, or has reserved it for a secret being created at its provider.
    func keyIDExists(_ keyID: String) throws -> Bool {
        try Bool.fetchOne(
            cachedStatement(
                sql: """
                    SELECT EXISTS (SELECT 1 FROM keys WHERE key_id = ?1)
                        OR EXISTS (SELECT 1 FROM provider_jobs WHERE kind = 'create' AND key_id = ?1)
                    """
            ),
            arguments: [keyID]
        )!
    }

    func insertWorkspace(_ name: WorkspaceName, policy: WorkspacePolicy, at now: Timestamp) throws -> Int64 {
        try cachedStatement(
            sql: """
                INSERT INTO workspaces (name, algorithm, rotate_every_seconds, grace_seconds, token_ttl_seconds,
                    max_token_ttl_seconds, require_kid, clock_skew_seconds, signers, provider, created_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """
        ).execute(arguments: StatementArguments([name.rawValue] + policy.columnValues + [now.secondsSinceEpoch]))
        return lastInsertedRowID
    }

    func updatePolicy(of workspaceID: Int64, to policy: WorkspacePolicy) throws {
        try cachedStatement(
            sql: """
                UPDATE workspaces SET algorithm = ?, rotate_every_seconds = ?, grace_seconds = ?,
                    token_ttl_seconds = ?, max_token_ttl_seconds = ?, require_kid = ?, clock_skew_seconds = ?, signers = ?,
                    provider = ?
                WHERE id = ?
                """
        ).execute(arguments: StatementArguments(policy.columnValues + [workspaceID]))
    }

    func insertKey(_ key: NewKey, sealed: Data, workspaceID: Int64, at now: Timestamp) throws {
        try cachedStatement(
            sql: """
                INSERT INTO keys (workspace_id, key_id, generation, algorithm, state, sealed_secret, created_at,
                    activated_at, provider_secret_id)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                """
        ).execute(
            arguments: [
                workspaceID, key.keyID, key.generation, key.algorithm.rawValue, key.state.rawValue, sealed,
                now.secondsSinceEpoch, key.state == .active ? now.secondsSinceEpoch : nil, key.providerSecretID,
            ]
        )
    }

    func insertProviderJob(_ job: ProviderJob, workspaceID: Int64) throws {
        try cachedStatement(
            sql: """
                INSERT INTO provider_jobs (workspace_id, kind, key_id, provider_secret_id, urgent, attempts, not_before,
                    last_error, blocked, created_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """
        ).execute(arguments: StatementArguments([workspaceID] + job.columnValues))
    }

    func updateProviderJob(_ job: ProviderJob, workspaceID: Int64) throws {
        try cachedStatement(
            sql: """
                UPDATE provider_jobs SET urgent = ?, attempts = ?, not_before = ?, last_error = ?, blocked = ?
                WHERE workspace_id = ? AND kind = ? AND key_id = ?
                """
        ).execute(
            arguments: [
                job.urgent, job.attempts, job.notBefore.secondsSinceEpoch, job.lastError, job.blocked, workspaceID,
                job.kind.rawValue, job.keyID,
            ]
        )
        guard changesCount == 1 else { throw DatabaseError(message: "the lifecycle changed a provider job it lacks") }
    }

    func deleteProviderJob(_ kind: ProviderJob.Kind, keyID: String, workspaceID: Int64) throws {
        try cachedStatement(sql: "DELETE FROM provider_jobs WHERE workspace_id = ? AND kind = ? AND key_id = ?")
            .execute(arguments: [workspaceID, kind.rawValue, keyID])
        guard changesCount == 1 else { throw DatabaseError(message: "the lifecycle removed a provider job it lacks") }
    }

    /// Sets columns of one key of the workspace: `assignments` is the SET clause, `values` its arguments.
    func updateKey(
        _ keyID: String,
        of workspaceID: Int64,
        set assignments: String,
        _ values: [(any DatabaseValueConvertible)?]
    ) throws {
        try cachedStatement(sql: "UPDATE keys SET \(assignments) WHERE workspace_id = ? AND key_id = ?")
            .execute(arguments: StatementArguments(values + [workspaceID, keyID]))
        guard changesCount == 1 else {
            throw DatabaseError(message: "the lifecycle changed key \(keyID), which its workspace does not have")
        }
    }
}

extension WorkspacePolicy {
    /// The policy's columns in `workspaces`, in the order the statements above name them.
    fileprivate var columnValues: [(any DatabaseValueConvertible)?] {
        [
            algorithm.rawValue, rotateEvery.seconds, grace.seconds, tokenTTL.seconds, maxTokenTTL.seconds,
            requireKeyID, clockSkew.seconds, signers.map(\.description).joined(separator: ","),
            provider?.description,
        ]
    }
}

extension ProviderJob {
    /// The job's columns in `provider_jobs`, in the order the insert names them (after `workspace_id`).
    fileprivate var columnValues: [(any DatabaseValueConvertible)?] {
        [
            kind.rawValue, keyID, providerSecretID, urgent, attempts, notBefore.secondsSinceEpoch, lastError, blocked,
            createdAt.secondsSinceEpoch,
        ]
    }
}
