import KeyrotCore
import PostgresNIO

/// Brings a PostgreSQL database to the schema this keyrotd writes: the embedded `Migrations/postgresql/` files not
/// yet applied, in the caller's transaction under an advisory lock, so hosts that start together migrate once and a
/// failed migration leaves the database as it was. The caller checks what must hold before anything changes (the
/// master key) between ``pending(_:on:)`` and ``apply(_:_:on:)``.
struct PostgresMigrator {
    let address: PostgresAddress
    let sha3: PostgresKeyStore.SHA3
    let willMigrate: @Sendable (_ fileName: String) -> Void

    /// The advisory lock that one migration at a time holds (two hosts starting together).
    static let lock: Int64 = 0x6b65_7972_6f74_0001

    /// The schema version this build writes: the highest embedded version.
    static var latestVersion: Int { MigrationFile.embedded.map(\.version).max() ?? 0 }

    /// Takes the migration lock for the rest of the transaction and returns the embedded files not yet applied.
    /// - Throws: ``KeyrotCore/StoreError/newerSchema(path:databaseVersion:supportedVersion:)`` or
    ///   ``KeyrotCore/StoreError/migrationChanged(path:fileName:)``, or the database's error.
    func pending(_ session: PostgresSession, on connection: PostgresConnection) throws -> [MigrationFile] {
        try session.run("SELECT pg_advisory_xact_lock(\(Self.lock))", on: connection)
        var applied: [Int: String] = [:]
        if try PostgresMigrator.tableExists("schema_migrations", session, on: connection) {
            for row in try session.run("SELECT version, sha3 FROM schema_migrations", on: connection) {
                let columns = row.makeRandomAccess()
                applied[try columns.value("version", as: Int.self)] = try columns.value("sha3", as: String.self)
            }
        }
        let newest = applied.keys.max() ?? 0
        if newest > Self.latestVersion {
            throw StoreError.newerSchema(
                path: address.description,
                databaseVersion: newest,
                supportedVersion: Self.latestVersion
            )
        }
        return try MigrationFile.embedded.filter { file in
            guard let checksum = applied[file.version] else { return true }
            guard checksum == self.checksum(of: file) else {
                throw StoreError.migrationChanged(path: address.description, fileName: file.fileName)
            }
            return false
        }
    }

    /// Applies `files` and records each in `schema_migrations`.
    func apply(_ files: [MigrationFile], _ session: PostgresSession, on connection: PostgresConnection) throws {
        for file in files {
            willMigrate(file.fileName)
            for statement in SQLScript(file.sql).statements {
                try session.run(PostgresQuery(unsafeSQL: statement), on: connection)
            }
            try session.run(
                """
                INSERT INTO schema_migrations (version, file_name, sha3)
                VALUES (\(file.version), \(file.fileName), \(checksum(of: file)))
                """,
                on: connection
            )
        }
    }

    /// Whether table `name` exists in the connection's schema.
    static func tableExists(
        _ name: String,
        _ session: PostgresSession,
        on connection: PostgresConnection
    ) throws
        -> Bool
    {
        let exists = try session.run("SELECT to_regclass(\(name)) IS NOT NULL AS present", on: connection)
        return try exists.first?.makeRandomAccess().value("present", as: Bool.self) == true
    }

    /// The SHA3-256 of a migration file's text, lowercase hex.
    private func checksum(of file: MigrationFile) -> String {
        (sha3(256, Array(file.sql.utf8)) ?? []).map { String(format: "%02x", $0) }.joined()
    }
}
