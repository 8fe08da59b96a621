import Foundation
import GRDB
import KeyrotCore
import Synchronization

/// keyrotd's SQLite database, the embedded default ``KeyrotCore/KeyStore``: workspaces, their keys (sealed) and the
/// hash-chained audit log, in one file.
///
/// Each public write is one intention and one transaction that also appends its audit rows, so a crash leaves
/// the old state or the new one, never half. Reads run beside the writer (WAL) without blocking it.
/// - Important: The store keeps sealed bytes only; it asks its ``KeySealer`` for new material.
public final class SQLiteKeyStore: KeyStore {
    /// The computation behind the SQL function `sha3(X, N)`: the SHA3-N digest of `input`, or nil for an N
    /// the implementation does not support.
    public typealias SHA3 = @Sendable (_ bits: Int, _ input: [UInt8]) -> [UInt8]?

    let pool: DatabasePool
    let sealer: any KeySealer
    public let path: String
    public var location: String { path }

    /// One keyrotd owns a SQLite store (the state directory's lock says so): it always schedules.
    public func holdsSchedulerLease() -> Bool { true }
    /// The device and inode of the database file as opened, to tell when the file has been removed or replaced.
    let fileIdentity: FileIdentity
    /// Numbers the lifecycle's transactions in the order they commit (see ``commitOrder``).
    let commits = Atomic<UInt64>(1)
    /// How long a connection waits for another's lock before it gives up.
    static let busyTimeoutMilliseconds = 5000
    /// Set while destroyed key material may still be in the write-ahead log (see `purgeDestroyedMaterial`).
    let purgePending = Atomic<Bool>(false)
    let observers = Locked<[@Sendable (CommittedChange) -> Void]>([])
    /// Counts the write transactions this store has run (committed or not).
    private let writes = Atomic<UInt64>(0)
    /// The count of ``writes`` after the last write that may have changed each workspace.
    private let workspaceWrites = Locked<[WorkspaceName: UInt64]>([:])
    /// The count of ``writes`` after the last write that may have changed every workspace (a re-keying).
    private let wholeStoreWrites = Atomic<UInt64>(0)

    /// A number that moves on whenever a write may have changed workspace `name` (its policy, its keys), and only
    /// then: a cache of one workspace read at a revision is current while ``revision(of:)`` still returns it, so a
    /// write to one workspace leaves every other workspace's cache alone.
    public func revision(of name: WorkspaceName) -> UInt64 {
        let whole = wholeStoreWrites.load(ordering: .acquiring)
        return max(whole, workspaceWrites.withLock { $0[name] } ?? 0)
    }

    /// What a write may change: one workspace, or all of them.
    enum WriteScope {
        case workspace(WorkspaceName)
        case wholeStore
    }

    /// Runs `body` in a write transaction, then moves the ``revision(of:)`` of what `scope` names on (committed or
    /// not: a failed commit may still have changed what a reader sees, so its cache is dropped too).
    ///
    /// - Throws: ``StoreError/databaseFileGone(path:)`` or ``StoreError/databaseFileReplaced(path:)`` before
    ///   writing, when the file at ``path`` is no longer the one opened: a change committed to a removed file would
    ///   be acknowledged and then lost.
    func write<T>(_ scope: WriteScope, _ body: (Database) throws -> T) throws(StoreError) -> T {
        defer {
            let count = writes.add(1, ordering: .acquiringAndReleasing).newValue
            switch scope {
            case .workspace(let name): workspaceWrites.withLock { $0[name] = count }
            case .wholeStore: wholeStoreWrites.store(count, ordering: .releasing)
            }
        }
        try requireOpenedFile()
        do { return try pool.write(body) } catch { throw StoreError(error) }
    }

    /// Runs `body` in a read transaction beside the writer.
    func read<T>(_ body: (Database) throws -> T) throws(StoreError) -> T {
        do { return try pool.read(body) } catch { throw StoreError(error) }
    }

    /// Closes the database's connections and finalizes their prepared statements now, on the calling thread,
    /// rather than on whichever thread lets go of the store last. Every later use throws.
    public func close() throws(StoreError) {
        do { try pool.close() } catch { throw StoreError(error) }
    }

    /// Opens (creating if needed) the database at `path`, refuses one written by a newer schema, applies the
    /// embedded migrations, and checks the master key against the canary.
    ///
    /// - Parameter willMigrate: called with each migration's file name just before it is applied (a migration
    ///   of a large database may take a while: the daemon asks its service manager for more start-up time).
    /// - Throws: ``StoreError/newerSchema(path:databaseVersion:supportedVersion:)`` (nothing is changed),
    ///   ``StoreError/wrongMasterKey(path:)``, or ``StoreError/databaseFailed(problem:)``.
    public convenience init(
        path: String,
        sealer: any KeySealer,
        sha3: @escaping SHA3,
        now: Timestamp,
        willMigrate: @escaping @Sendable (_ fileName: String) -> Void = { _ in }
    ) throws(StoreError) {
        do {
            try self.init(opening: path, sealer: sealer, sha3: sha3, now: now, willMigrate: willMigrate)
        } catch {
            throw StoreError(error)
        }
    }

    private init(
        opening path: String,
        sealer: any KeySealer,
        sha3: @escaping SHA3,
        now: Timestamp,
        willMigrate: @escaping @Sendable (_ fileName: String) -> Void
    ) throws {
        var configuration = Configuration()
        configuration.busyMode = .timeout(Double(Self.busyTimeoutMilliseconds) / 1000)
        configuration.prepareDatabase { db in
            db.add(function: Self.sqlFunction(sha3: sha3))
            try db.execute(sql: "PRAGMA synchronous = FULL; PRAGMA secure_delete = ON")
        }
        self.pool = try DatabasePool(path: path, configuration: configuration)
        // DatabasePool switches its writer to WAL with synchronous=NORMAL after `prepareDatabase` ran; in WAL mode
        // NORMAL does not flush a commit to disk, so a power cut could undo rotations already reported done.
        try pool.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA synchronous = FULL") }
        self.sealer = sealer
        self.path = path
        guard let identity = FileIdentity(path: path) else { throw StoreError.databaseFileGone(path: path) }
        self.fileIdentity = identity

        let migrator = Self.migrator(sha3: sha3, willMigrate: willMigrate)
        try pool.read { db in
            let version = try Int.fetchOne(db, sql: "PRAGMA user_version") ?? 0
            if try version > MigrationFile.latestVersion || migrator.hasBeenSuperseded(db) {
                throw StoreError.newerSchema(
                    path: path,
                    databaseVersion: version,
                    supportedVersion: MigrationFile.latestVersion
                )
            }
            if try db.tableExists("schema_migrations") {
                for row in try Row.fetchAll(db, sql: "SELECT version, file_name, sha3 FROM schema_migrations") {
                    let file = MigrationFile.embedded.first { $0.version == row["version"] }
                    if let file, Self.checksum(of: file, sha3: sha3) != row["sha3"] {
                        throw StoreError.migrationChanged(path: path, fileName: file.fileName)
                    }
                }
            }
            if try db.tableExists("master_key_canary"),
                let sealed = try Data.fetchOne(db, sql: "SELECT sealed FROM master_key_canary WHERE id = 1"),
                !sealer.opensCanary(sealed)
            {
                throw StoreError.wrongMasterKey(path: path)
            }
        }
        try migrator.migrate(pool)
        try pool.write { db in
            if try !Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM master_key_canary)")! {
                try db.execute(
                    sql: "INSERT INTO master_key_canary (id, sealed, created_at) VALUES (1, ?, ?)",
                    arguments: [try sealer.sealCanary(), now.secondsSinceEpoch]
                )
            }
        }
        // Whatever an earlier run left in the write-ahead log (a crash before its purge) goes now.
        purgeDestroyedMaterial()
    }

    /// The embedded migrations, in file order; each also records its checksum in `schema_migrations` and sets
    /// `PRAGMA user_version` to its number, in the migration's transaction.
    static func migrator(
        sha3: @escaping SHA3,
        willMigrate: @escaping @Sendable (String) -> Void = { _ in }
    ) -> DatabaseMigrator {
        var migrator = DatabaseMigrator()
        for file in MigrationFile.embedded {
            migrator.registerMigration(file.identifier) { db in
                willMigrate(file.fileName)
                try db.execute(sql: file.sql)
                try db.execute(
                    sql: "INSERT INTO schema_migrations (version, file_name, sha3) VALUES (?, ?, ?)",
                    arguments: [file.version, file.fileName, checksum(of: file, sha3: sha3)]
                )
                try db.execute(sql: "PRAGMA user_version = \(file.version)")
            }
        }
        return migrator
    }

    /// The SHA3-256 of a migration file's text, lowercase hex.
    static func checksum(of file: MigrationFile, sha3: SHA3) -> String {
        (sha3(256, Array(file.sql.utf8)) ?? []).map { String(format: "%02x", $0) }.joined()
    }

    /// `sha3(X)` / `sha3(X, N)` with the meaning of the sqlite3 shell's built-in: NULL for NULL, else the
    /// digest of a blob's bytes or of the value's text.
    static func sqlFunction(sha3: @escaping SHA3) -> DatabaseFunction {
        DatabaseFunction("sha3", pure: true) { arguments in
            guard (1...2).contains(arguments.count) else {
                throw DatabaseError(message: "sha3() takes one or two arguments")
            }
            let bits = arguments.count == 2 ? Int.fromDatabaseValue(arguments[1]) ?? 0 : 256
            let input: [UInt8]
            switch arguments[0].storage {
            case .null: return nil
            case .blob(let data): input = Array(data)
            case .string(let text): input = Array(text.utf8)
            case .int64(let value): input = Array(String(value).utf8)
            case .double(let value): input = Array(String(value).utf8)
            }
            guard let digest = sha3(bits, input) else {
                throw DatabaseError(message: "sha3() size must be 224, 256, 384 or 512")
            }
            return Data(digest)
        }
    }
}
