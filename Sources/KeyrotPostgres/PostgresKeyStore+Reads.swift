import Foundation
import KeyrotCore
import PostgresNIO

extension PostgresKeyStore {
    public func scheduleSnapshot() throws(StoreError) -> ScheduleSnapshot {
        let order = commitOrder
        return try read { connection in
            let statements = PostgresStatements(session: reader, connection: connection)
            var policies: [WorkspaceName: WorkspacePolicy] = [:]
            for row in try statements.rows("SELECT * FROM workspaces") {
                policies[try WorkspaceName(try row.value("name", as: String.self))] = try WorkspacePolicy(postgres: row)
            }
            let keys = try statements.rows(
                """
                SELECT \(unescaped: KeyRecord.selection) FROM keys AS k JOIN workspaces AS w ON w.id = k.workspace_id
                WHERE k.state IN (\(KeyState.pending.rawValue), \(KeyState.active.rawValue), \(KeyState.grace.rawValue))
                """
            ).map(KeyRecord.init(postgres:))
            let creating = try statements.rows(
                """
                SELECT w.name FROM provider_jobs AS j JOIN workspaces AS w ON w.id = j.workspace_id
                WHERE j.kind = 'create'
                """
            ).map { row in try WorkspaceName(try row.value("name", as: String.self)) }
            return (policies, keys, Set(creating), order)
        }
    }

    public func policy(of name: WorkspaceName) throws(StoreError) -> WorkspacePolicy {
        try read { connection in
            try PostgresStatements(session: reader, connection: connection).workspace(named: name).policy
        }
    }

    public func keyRing(of name: WorkspaceName) throws(StoreError) -> KeyRing {
        try read { connection in
            let statements = PostgresStatements(session: reader, connection: connection)
            return KeyRing(keys: try statements.keys(of: statements.workspace(named: name).id))
        }
    }

    public func history(of name: WorkspaceName?, limit: Int) throws(StoreError) -> [AuditEntry] {
        try read { connection in
            try PostgresStatements(session: reader, connection: connection).newestAuditEntries(of: name, limit: limit)
        }
    }

    public func auditChainBreaks() throws(StoreError) -> [Int64] {
        try read { connection in
            try PostgresStatements(session: reader, connection: connection)
                .rows("SELECT seq FROM audit_chain_breaks ORDER BY seq").map { try $0.value("seq") }
        }
    }

    /// The workspace's policy, keys and sealed secrets, for signing and verifying; while the database cannot be
    /// reached, the keys as last read here, so this host keeps signing and verifying with what it has.
    public func workspaceKeys(of name: WorkspaceName) throws(StoreError) -> WorkspaceKeys {
        let revision = self.revision(of: name)
        do {
            let keys = try read { connection in
                let statements = PostgresStatements(session: reader, connection: connection)
                let workspace = try statements.workspace(named: name)
                var sealed: [String: Data] = [:]
                for row in try statements.rows(
                    """
                    SELECT key_id, sealed_secret FROM keys
                    WHERE workspace_id = \(workspace.id) AND sealed_secret IS NOT NULL
                    """
                ) {
                    sealed[try row.value("key_id")] = try row.value("sealed_secret", as: Data.self)
                }
                return WorkspaceKeys(
                    policy: workspace.policy,
                    ring: KeyRing(keys: try statements.keys(of: workspace.id)),
                    sealedSecrets: sealed,
                    revision: revision
                )
            }
            bookkeeping.withLockedValue { $0.lastRead[name] = keys }
            return keys
        } catch .databaseUnreachable(let location, let problem) {
            guard let kept = bookkeeping.withLockedValue({ $0.lastRead[name] }) else {
                throw .databaseUnreachable(location: location, problem: problem)
            }
            return kept
        }
    }

    public func providerWorkspaces() throws(StoreError) -> [WorkspaceState] {
        try read { connection in
            let statements = PostgresStatements(session: reader, connection: connection)
            return try statements.rows("SELECT name FROM workspaces WHERE provider IS NOT NULL ORDER BY name")
                .compactMap { row in
                    try statements.workspaceState(named: try WorkspaceName(try row.value("name", as: String.self)))?
                        .state
                }
        }
    }

    public func chainRows(
        for journal: [AuditJournalCheck.JournalHash]
    ) throws(StoreError) -> (chainSeq: [String: Int64], head: Int64) {
        try read { connection in
            let statements = PostgresStatements(session: reader, connection: connection)
            var chainSeq: [String: Int64] = [:]
            let numbered = Array(Set(journal.compactMap(\.seq)))
            for row in try statements.rows(
                "SELECT seq, encode(hash, 'hex') AS hash FROM audit_log WHERE seq = ANY(\(numbered))"
            ) {
                chainSeq[try row.value("hash")] = try row.value("seq")
            }
            let unnumbered = Array(Set(journal.filter { $0.seq == nil && chainSeq[$0.hash] == nil }.map(\.hash)))
            if !unnumbered.isEmpty {
                for row in try statements.rows(
                    "SELECT seq, encode(hash, 'hex') AS hash FROM audit_log WHERE encode(hash, 'hex') = ANY(\(unnumbered))"
                ) {
                    chainSeq[try row.value("hash")] = try row.value("seq")
                }
            }
            let head = try statements.rows("SELECT coalesce(max(seq), 0) AS head FROM audit_log").first!
                .value("head", as: Int64.self)
            return (chainSeq, head)
        }
    }
}
