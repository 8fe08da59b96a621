/// One schema migration: a `Migrations/NNNN_name.sql` file (SQLite) or `Migrations/postgresql/NNNN_name.sql`
/// (PostgreSQL), embedded in the store's binary at build time.
public struct MigrationFile: Hashable, Sendable {
    public let fileName: String
    public let sql: String

    /// The schema version this file brings the database to: its `NNNN` prefix.
    public var version: Int {
        Int(fileName.prefix { $0.isNumber }) ?? 0
    }

    /// The migration's identifier in GRDB's `grdb_migrations` table: the file name without `.sql`.
    public var identifier: String {
        fileName.hasSuffix(".sql") ? String(fileName.dropLast(4)) : fileName
    }

    public init(fileName: String, contents sql: String) {
        self.fileName = fileName
        self.sql = sql
    }
}
