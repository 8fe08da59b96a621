import Foundation

/// A whole store's history and keys, row for row as stored, for `keyrotd migrate-store`: what the SQLite store reads
/// out and the PostgreSQL store writes in, sealed secrets and audit hashes as they are.
///
/// - Important: Holds sealed material only, never a secret; the audit rows keep their hashes, so the chain is
///   verified again where they arrive, not computed anew.
public struct StoreCopy: Sendable {
    /// One stored value.
    public enum Value: Sendable, Equatable {
        case null
        case integer(Int64)
        case text(String)
        case blob(Data)
    }

    /// One table's rows, in the order of its primary key.
    public struct Table: Sendable {
        public var name: String
        public var columns: [String]
        public var rows: [[Value]]

        public init(name: String, columns: [String], rows: [[Value]]) {
            self.name = name
            self.columns = columns
            self.rows = rows
        }
    }

    /// The tables copied, parents before children: the rows go in in this order. The master-key canary, the
    /// heartbeat and the schema's own bookkeeping stay with their store.
    public static let tableNames = ["workspaces", "keys", "provider_jobs", "audit_log"]

    public var tables: [Table]

    public init(tables: [Table]) {
        self.tables = tables
    }

    /// How many rows `table` has in the copy.
    public func count(of table: String) -> Int {
        tables.first { $0.name == table }?.rows.count ?? 0
    }
}
