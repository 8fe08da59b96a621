import Foundation
import GRDB
import KeyrotCore

/// The statements the store's transactions are made of. Internal: callers see only whole intentions.
///
/// The statements of every rotation and creation are prepared once per connection and reused
/// (`cachedStatement`): compiling them again each time (the audit trigger and the keys table's checks and
/// triggers with them) cost several times what running them does.
extension Database {
    func workspaceIfExists(named name: WorkspaceName) throws -> (id: Int64, policy: WorkspacePolicy)? {
        let row = try Row.fetchOne(
            cachedStatement(sql: "SELECT * FROM workspaces WHERE name = ?"),
            arguments: [name.rawValue]
        )
        return try row.map { ($0["id"], try WorkspacePolicy(row: $0)) }
    }

    func workspace(named name: WorkspaceName) throws -> (id: Int64, policy: WorkspacePolicy) {
        guard let workspace = try workspaceIfExists(named: name) else {
            throw KeyrotError.workspaceNotFound(name.rawValue)
        }
        return workspace
    }

    func keys(
        of workspaceID: Int64,
        where condition: String = "1",
        arguments: StatementArguments = []
    )
        throws -> [(rowID: Int64, record: KeyRecord)]
    {
        let sql = """
            SELECT k.id AS row_id, \(KeyRecord.selection) FROM keys AS k JOIN workspaces AS w ON w.id = k.workspace_id
            WHERE k.workspace_id = ? AND (\(condition)) ORDER BY k.generation
            """
        return try Row.fetchAll(cachedStatement(sql: sql), arguments: [workspaceID] + arguments).map { row in
            (row["row_id"], try KeyRecord(row: row))
        }
    }

    /// Appends one audit row through `audit_append`, whose trigger links it into the hash chain.
    func appendAudit(
        at now: Timestamp,
        workspace: WorkspaceName?,
        event: AuditEvent,
        keyID: String?,
        previousKeyID: String? = nil,
        reason: String?,
        detail: String? = nil,
        actor: AuditActor
    ) throws -> AuditEntry {
        // SQLite would keep only the text before a NUL; refuse such text rather than store less than was said.
        for (field, text) in [("reason", reason), ("detail", detail), ("key id", keyID)]
        where text?.contains("\u{0}") == true {
            throw KeyrotError.invalidText(field: field)
        }
        try cachedStatement(
            sql: """
                INSERT INTO audit_append
                    (at, workspace, event, key_id, previous_key_id, reason, detail, actor_uid, actor_pid)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                """
        ).execute(
            arguments: [
                now.secondsSinceEpoch, workspace?.rawValue, event.rawValue, keyID, previousKeyID, reason, detail,
                actor.uid, actor.pid,
            ]
        )
        let row = try Row.fetchOne(
            cachedStatement(sql: "SELECT \(AuditEntry.selection) FROM audit_log ORDER BY seq DESC LIMIT 1")
        )!
        return try AuditEntry(row: row)
    }
}
