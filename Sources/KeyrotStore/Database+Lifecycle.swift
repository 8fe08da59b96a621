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
            nextGeneration: nextGeneration
        )
        return (workspace.id, state)
    }

    /// Whether any workspace has a key with this id.
    func keyIDExists(_ keyID: String) throws -> Bool {
        try Bool.fetchOne(
            cachedStatement(sql: "SELECT EXISTS (SELECT 1 FROM keys WHERE key_id = ?)"),
            arguments: [keyID]
        )!
    }

    func insertWorkspace(_ name: WorkspaceName, policy: WorkspacePolicy, at now: Timestamp) throws -> Int64 {
        try cachedStatement(
            sql: """
                INSERT INTO workspaces (name, algorithm, rotate_every_seconds, grace_seconds, token_ttl_seconds,
                    max_token_ttl_seconds, require_kid, clock_skew_seconds, signers, created_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """
        ).execute(arguments: StatementArguments([name.rawValue] + policy.columnValues + [now.secondsSinceEpoch]))
        return lastInsertedRowID
    }

    func updatePolicy(of workspaceID: Int64, to policy: WorkspacePolicy) throws {
        try cachedStatement(
            sql: """
                UPDATE workspaces SET algorithm = ?, rotate_every_seconds = ?, grace_seconds = ?,
                    token_ttl_seconds = ?, max_token_ttl_seconds = ?, require_kid = ?, clock_skew_seconds = ?, signers = ?
                WHERE id = ?
                """
        ).execute(arguments: StatementArguments(policy.columnValues + [workspaceID]))
    }

    func insertKey(_ key: NewKey, sealed: Data, workspaceID: Int64, at now: Timestamp) throws {
        try cachedStatement(
            sql: """
                INSERT INTO keys
                    (workspace_id, key_id, generation, algorithm, state, sealed_secret, created_at, activated_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                """
        ).execute(
            arguments: [
                workspaceID, key.keyID, key.generation, key.algorithm.rawValue, key.state.rawValue, sealed,
                now.secondsSinceEpoch, key.state == .active ? now.secondsSinceEpoch : nil,
            ]
        )
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
        ]
    }
}
