import Foundation
import KeyrotCore
import PostgresNIO

extension PostgresKeyStore {
    public func recordTokensValid(
        until: Timestamp,
        keyID: String,
        of name: WorkspaceName
    ) throws(StoreError) -> Bool {
        try write(.workspace(name)) { connection in
            try writer.run(
                """
                UPDATE keys SET tokens_valid_until = greatest(coalesce(tokens_valid_until, 0), \(until.secondsSinceEpoch))
                WHERE key_id = \(keyID) AND state = \(KeyState.active.rawValue)
                    AND workspace_id = (SELECT id FROM workspaces WHERE name = \(name.rawValue))
                """,
                on: connection
            ).metadata.rows ?? 0 > 0
        }
    }

    /// Proves the store still takes commits at `now`: overwrites this host's `heartbeat` row with `now` and `pid` in
    /// a transaction of its own. The heartbeat changes nothing a reader caches.
    ///
    /// - Throws: ``KeyrotCore/StoreError/cannotCommit(path:problem:)`` or
    ///   ``KeyrotCore/StoreError/databaseUnreachable(location:problem:)``.
    public func checkHealth(at now: Timestamp, pid: Int64) throws(StoreError) {
        do {
            try writer.transaction { connection in
                try writer.run(
                    """
                    INSERT INTO heartbeat (node, at, pid) VALUES (\(node), \(now.secondsSinceEpoch), \(pid))
                    ON CONFLICT (node) DO UPDATE SET at = excluded.at, pid = excluded.pid
                    """,
                    on: connection
                )
            }
        } catch .databaseUnreachable(let location, let problem) {
            throw .databaseUnreachable(location: location, problem: problem)
        } catch {
            throw .cannotCommit(path: location, problem: error.description)
        }
    }

    public func rekey(
        with resealer: any KeyResealer,
        actor: AuditActor,
        at now: Timestamp
    ) throws(StoreError) -> (resealed: Int, entry: AuditEntry) {
        try write(.wholeStore) { connection in
            let statements = PostgresStatements(session: writer, connection: connection)
            // A keyrotd starting meanwhile checks its master key under this lock: it waits, then meets the new canary.
            try statements.run("SELECT pg_advisory_xact_lock(\(PostgresMigrator.lock))")
            // No workspace changes while its keys are re-sealed: every workspace's lock, in one order.
            let names = try statements.rows("SELECT name FROM workspaces ORDER BY name").map { row in
                try WorkspaceName(try row.value("name", as: String.self))
            }
            for name in names { try statements.lockWorkspace(name) }
            let rows = try statements.rows(
                """
                SELECT k.id, w.name, k.key_id, k.sealed_secret FROM keys AS k
                JOIN workspaces AS w ON w.id = k.workspace_id
                WHERE k.sealed_secret IS NOT NULL ORDER BY k.id
                """
            )
            for row in rows {
                let resealed = try resealer.reseal(
                    try row.value("sealed_secret", as: Data.self),
                    workspace: try WorkspaceName(try row.value("name", as: String.self)),
                    keyID: try row.value("key_id")
                )
                try statements.run(
                    "UPDATE keys SET sealed_secret = \(resealed) WHERE id = \(try row.value("id", as: Int64.self))"
                )
            }
            try statements.run(
                """
                UPDATE master_key_canary SET sealed = \(try resealer.sealNewCanary()), created_at = \(now.secondsSinceEpoch)
                WHERE id = 1
                """
            )
            try statements.appendAudit(
                at: now,
                workspace: nil,
                event: .masterKeyRotated,
                keyID: nil,
                reason: "keyrotd rekey",
                detail: "\(rows.count) \(rows.count == 1 ? "key" : "keys") re-sealed under a new master key",
                actor: actor
            )
            return (rows.count, try statements.newestAuditEntries(limit: 1)[0])
        }
    }
}
