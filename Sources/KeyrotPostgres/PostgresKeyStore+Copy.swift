import Foundation
import KeyrotCore
import PostgresNIO

extension PostgresKeyStore {
    /// The columns PostgreSQL keeps as `boolean` where SQLite keeps 0 or 1.
    static let booleanColumns: Set<String> = ["require_kid", "leaked", "urgent", "blocked"]

    /// Writes `copy` into this store, which must hold no workspace and no audit row yet, in one transaction that
    /// commits only if the audit chain, hashes as they came, verifies here (`audit_chain_breaks` is empty).
    ///
    /// - Throws: ``KeyrotCore/StoreError/databaseFailed(problem:)`` for a database that is not empty or a chain that
    ///   does not verify; nothing is written then.
    public func load(_ copy: StoreCopy) throws(StoreError) {
        let location = self.location
        try write(.wholeStore) { connection in
            let statements = PostgresStatements(session: writer, connection: connection)
            try statements.run("LOCK TABLE workspaces, keys, provider_jobs, audit_log IN EXCLUSIVE MODE")
            let present = try statements.rows(
                """
                SELECT (SELECT count(*) FROM workspaces) + (SELECT count(*) FROM audit_log) AS rows
                """
            ).first!.value("rows", as: Int64.self)
            guard present == 0 else {
                throw StoreError.databaseFailed(
                    problem: "\(location) is not empty (it has workspaces or history): keyrotd migrate-store copies "
                        + "into an empty database only"
                )
            }
            for table in copy.tables {
                for row in table.rows { try statements.run(Self.insert(row, into: table)) }
            }
            for table in ["workspaces", "keys", "provider_jobs"] {
                try statements.run(
                    """
                    SELECT setval(pg_get_serial_sequence(\(table), 'id'), coalesce((SELECT max(id) FROM \(unescaped: table)), 0) + 1, false)
                    """
                )
            }
            let breaks = try statements.rows("SELECT count(*) AS breaks FROM audit_chain_breaks").first!
                .value("breaks", as: Int64.self)
            guard breaks == 0 else {
                throw StoreError.databaseFailed(
                    problem: "the copied audit chain does not verify in \(location) (\(breaks) broken links); "
                        + "nothing was written"
                )
            }
        }
    }

    private static func insert(_ row: [StoreCopy.Value], into table: StoreCopy.Table) throws -> PostgresQuery {
        var binds = PostgresBindings(capacity: row.count)
        for (column, value) in zip(table.columns, row) {
            switch value {
            case .null: binds.appendNull()
            case .integer(let integer) where booleanColumns.contains(column): binds.append(integer != 0)
            case .integer(let integer): binds.append(integer)
            case .text(let text): binds.append(text)
            case .blob(let data): try binds.append(data)
            }
        }
        let placeholders = (1...row.count).map { "$\($0)" }.joined(separator: ", ")
        return PostgresQuery(
            unsafeSQL: "INSERT INTO \(table.name) (\(table.columns.joined(separator: ", "))) VALUES (\(placeholders))",
            binds: binds
        )
    }
}
