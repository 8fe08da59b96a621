import KeyrotCore
import PostgresNIO

extension PostgresKeyStore {
    /// Takes in what other hosts committed: the workspaces named in `names` (nil: every workspace) whose revision in
    /// the database is newer than the one known here are re-read, their ``revision(of:)`` moves on, and the store's
    /// observers hear each as it now stands.
    func catchUp(_ names: Set<String>?) {
        let revisions: [(name: WorkspaceName, revision: Int64)]
        do {
            revisions = try read { connection in
                let statements = PostgresStatements(session: reader, connection: connection)
                let rows =
                    if let names {
                        try statements.rows("SELECT name, revision FROM workspaces WHERE name = ANY(\(Array(names)))")
                    } else {
                        try statements.rows("SELECT name, revision FROM workspaces")
                    }
                return try rows.map { row in
                    (try WorkspaceName(try row.value("name", as: String.self)), try row.value("revision"))
                }
            }
        } catch {
            return  // the database is away: the next look tries again, and nothing here is changed meanwhile
        }
        for (name, revision) in revisions
        where revision > bookkeeping.withLockedValue({ $0.seenRevisions[name] ?? -1 }) {
            // Ordered before it is read: a local commit ordered after it is as new as what is read, or newer.
            let order = nextCommitOrder()
            bookkeeping.withLockedValue { books in
                books.writes += 1
                books.workspaceWrites[name] = books.writes
            }
            guard
                let state = try? read({ connection in
                    try PostgresStatements(session: reader, connection: connection).workspaceState(named: name)?.state
                })
            else { continue }  // not marked seen: the next look reads it again (workspaces are never deleted)
            bookkeeping.withLockedValue { $0.seen(revision, of: name) }
            notifyObservers(CommittedChange(workspace: state, order: order))
        }
    }

    /// Every workspace's revision as the store opens: the changes before it are not news.
    func seedRevisions() throws(StoreError) {
        let revisions = try read { connection in
            try PostgresStatements(session: reader, connection: connection).rows(
                "SELECT name, revision FROM workspaces"
            ).map { row in
                (try WorkspaceName(try row.value("name", as: String.self)), try row.value("revision", as: Int64.self))
            }
        }
        bookkeeping.withLockedValue { books in
            for (name, revision) in revisions { books.seen(revision, of: name) }
        }
    }
}
