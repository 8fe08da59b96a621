import GRDB
import KeyrotCore

extension SQLiteKeyStore {
    /// What the scheduler needs, read in one snapshot: every workspace's policy and its live keys
    /// (pending, active, grace), the workspaces whose next key is being created at their provider, and the
    /// ``commitOrder`` asked for just before the snapshot was read.
    ///
    /// Rows are decoded as they are stepped through (a cursor), never copied into a list of rows first: with many
    /// workspaces, copied rows cost several times the memory and time of what is kept.
    public func scheduleSnapshot() throws(StoreError) -> ScheduleSnapshot {
        let order = commitOrder
        return try read { db in
            let count = try Int.fetchOne(db, sql: "SELECT count(*) FROM workspaces") ?? 0
            var policies: [WorkspaceName: WorkspacePolicy] = [:]
            policies.reserveCapacity(count)
            let workspaces = try Row.fetchCursor(db, sql: "SELECT * FROM workspaces")
            while let row = try workspaces.next() {
                policies[try WorkspaceName(row["name"])] = try WorkspacePolicy(row: row)
            }
            var keys: [KeyRecord] = []
            keys.reserveCapacity(count)
            let rows = try Row.fetchCursor(
                db,
                sql: """
                    SELECT \(KeyRecord.selection) FROM keys AS k JOIN workspaces AS w ON w.id = k.workspace_id
                    WHERE k.state IN (?, ?, ?)
                    """,
                arguments: [KeyState.pending.rawValue, KeyState.active.rawValue, KeyState.grace.rawValue]
            )
            while let row = try rows.next() { keys.append(try KeyRecord(row: row)) }
            let creating = try String.fetchAll(
                db,
                sql: """
                    SELECT w.name FROM provider_jobs AS j JOIN workspaces AS w ON w.id = j.workspace_id
                    WHERE j.kind = 'create'
                    """
            )
            return (
                policies, keys, Set(try creating.map { name throws(KeyrotError) in try WorkspaceName(name) }), order
            )
        }
    }

    /// The workspace's policy.
    public func policy(of name: WorkspaceName) throws(StoreError) -> WorkspacePolicy {
        try read { db in try db.workspace(named: name).policy }
    }

    /// Every key of the workspace, in every state, oldest first.
    public func keyRing(of name: WorkspaceName) throws(StoreError) -> KeyRing {
        try read { db in
            KeyRing(keys: try db.keys(of: db.workspace(named: name).id).map(\.record))
        }
    }

    /// The newest audit rows, oldest first: at most `limit`, of one workspace or of all.
    public func history(of name: WorkspaceName?, limit: Int) throws(StoreError) -> [AuditEntry] {
        try read { db in
            let rows = try Row.fetchAll(
                db,
                sql: """
                    SELECT \(AuditEntry.selection) FROM audit_log WHERE ?1 IS NULL OR workspace = ?1
                    ORDER BY seq DESC LIMIT ?2
                    """,
                arguments: [name?.rawValue, limit]
            )
            return try rows.reversed().map(AuditEntry.init(row:))
        }
    }

    /// The sequence numbers `audit_chain_breaks` reports: empty means the audit chain is intact.
    public func auditChainBreaks() throws(StoreError) -> [Int64] {
        try read { db in try Int64.fetchAll(db, sql: "SELECT seq FROM audit_chain_breaks") }
    }
}
