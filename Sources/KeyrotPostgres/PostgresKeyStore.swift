import Foundation
import KeyrotCore
import Logging
import NIOConcurrencyHelpers
import PostgresNIO

/// keyrotd's PostgreSQL database, the ``KeyrotCore/KeyStore`` for several hosts: the SQLite store's workspaces, sealed
/// keys and hash-chained audit log in one database that every keyrotd of a deployment shares.
///
/// Each public write is one intention and one transaction that also appends its audit rows. Inside it the
/// workspace's advisory lock is taken first (`pg_advisory_xact_lock`), so two hosts changing one workspace (or
/// creating it) take turns and the second decides on what the first committed: a rotation both believe due happens
/// once. Audit rows are numbered under the log's own lock, in the order their transactions commit. Every transaction
/// that changes a workspace moves its `revision` on and notifies channel ``changeChannel``, so the other hosts re-read
/// exactly that workspace.
/// - Important: The store keeps sealed bytes only; it asks its ``KeyrotCore/KeySealer`` for new material. Its
///   methods block their thread (never Swift's cooperative pool) for at most ``PostgresSession/callTimeout`` a
///   statement.
public final class PostgresKeyStore: KeyStore {
    /// The SHA3-N digest of `input`, or nil for an N the implementation does not support (migration checksums).
    public typealias SHA3 = @Sendable (_ bits: Int, _ input: [UInt8]) -> [UInt8]?
    /// The channel every change is announced on, with the workspace's name as payload.
    public static let changeChannel = "keyrotd_changes"

    public let address: PostgresAddress
    public var location: String { address.description }
    let sealer: any KeySealer
    let logger: Logger
    /// This host's name, for its row in `heartbeat`.
    let node: String
    /// Writes (one at a time, in transactions) and reads go through connections of their own.
    let writer: PostgresSession
    let reader: PostgresSession
    /// How this host learns of other hosts' changes (started once the store is open).
    let feed: PostgresChangeFeed
    /// Which host runs the rotation scheduler.
    let lease: PostgresSchedulerLease
    let bookkeeping = NIOLockedValueBox(Bookkeeping())
    let observers = NIOLockedValueBox<[@Sendable (CommittedChange) -> Void]>([])

    /// The counters behind ``revision(of:)`` and ``commitOrder``, and the last keys read of each workspace.
    struct Bookkeeping {
        var commits: UInt64 = 1
        var writes: UInt64 = 0
        var workspaceWrites: [WorkspaceName: UInt64] = [:]
        var wholeStoreWrites: UInt64 = 0
        /// The database's revision of each workspace as last read (see ``PostgresKeyStore/catchUp(_:)``).
        var seenRevisions: [WorkspaceName: Int64] = [:]
        /// Each workspace's keys as last read: what a host that lost the database keeps signing and verifying with.
        var lastRead: [WorkspaceName: WorkspaceKeys] = [:]
    }

    /// Connects to the database at `address`, refuses one written by a newer schema, built with other migration
    /// files or sealed under another master key (its canary), then applies the embedded migrations and, in a new
    /// database, seals the canary: all in one transaction, one host at a time.
    ///
    /// - Parameters:
    ///   - password: the role's password (the credential `postgres-password`), nil for none.
    ///   - willMigrate: called with each migration's file name just before it is applied.
    /// - Throws: ``KeyrotCore/StoreError/newerSchema(path:databaseVersion:supportedVersion:)``,
    ///   ``KeyrotCore/StoreError/migrationChanged(path:fileName:)``, ``KeyrotCore/StoreError/wrongMasterKey(path:)``,
    ///   ``KeyrotCore/StoreError/databaseUnreachable(location:problem:)`` or
    ///   ``KeyrotCore/StoreError/databaseFailed(problem:)``; nothing is changed.
    public init(
        address: PostgresAddress,
        password: String?,
        sealer: any KeySealer,
        sha3: @escaping SHA3,
        now: Timestamp,
        logger: Logger,
        willMigrate: @escaping @Sendable (_ fileName: String) -> Void = { _ in }
    ) throws(StoreError) {
        self.address = address
        self.sealer = sealer
        self.logger = logger
        self.node = ProcessInfo.processInfo.hostName
        writer = PostgresSession(address: address, password: password, role: "writer", logger: logger)
        reader = PostgresSession(address: address, password: password, role: "reader", logger: logger)
        feed = PostgresChangeFeed(
            session: PostgresSession(address: address, password: password, role: "listener", logger: logger),
            logger: logger
        )
        lease = PostgresSchedulerLease(
            session: PostgresSession(address: address, password: password, role: "scheduler", logger: logger)
        )
        let migrator = PostgresMigrator(address: address, sha3: sha3, willMigrate: willMigrate)
        let location = address.description
        try writer.transaction { connection in
            let pending = try migrator.pending(writer, on: connection)
            var canary: Data?
            if try PostgresMigrator.tableExists("master_key_canary", writer, on: connection) {
                let row = try writer.run("SELECT sealed FROM master_key_canary WHERE id = 1", on: connection).first
                canary = try row?.makeRandomAccess().value("sealed", as: Data.self)
            }
            if let canary, !sealer.opensCanary(canary) { throw StoreError.wrongMasterKey(path: location) }
            try migrator.apply(pending, writer, on: connection)
            if canary == nil {
                try writer.run(
                    """
                    INSERT INTO master_key_canary (id, sealed, created_at)
                    VALUES (1, \(try sealer.sealCanary()), \(now.secondsSinceEpoch))
                    """,
                    on: connection
                )
            }
        }
        try seedRevisions()
        feed.start { [weak self] names in self?.catchUp(names) }
    }

    public func revision(of name: WorkspaceName) -> UInt64 {
        bookkeeping.withLockedValue { max($0.wholeStoreWrites, $0.workspaceWrites[name] ?? 0) }
    }

    public var commitOrder: UInt64 { bookkeeping.withLockedValue { $0.commits } }

    /// Nothing destroyed lingers where the store could overwrite it: PostgreSQL's dead rows are the server's to
    /// vacuum (README, "Several hosts").
    public var isPurgePending: Bool { false }

    public func observeChanges(_ observer: @escaping @Sendable (CommittedChange) -> Void) {
        observers.withLockedValue { $0.append(observer) }
    }

    public func close() throws(StoreError) {
        feed.stop()
        lease.release()
        writer.close()
        reader.close()
    }

    deinit {
        feed.stop()
    }

    public func holdsSchedulerLease() -> Bool { lease.holds() }

    /// What a write may change: one workspace, or all of them.
    enum WriteScope {
        case workspace(WorkspaceName)
        case wholeStore
    }

    /// Runs `body` in a write transaction, then moves the ``revision(of:)`` of what `scope` names on (committed or
    /// not: a failed commit may still have changed what a reader sees, so its cache is dropped too).
    func write<T>(_ scope: WriteScope, _ body: (PostgresConnection) throws -> T) throws(StoreError) -> T {
        defer {
            bookkeeping.withLockedValue { books in
                books.writes += 1
                switch scope {
                case .workspace(let name): books.workspaceWrites[name] = books.writes
                case .wholeStore: books.wholeStoreWrites = books.writes
                }
            }
        }
        return try writer.transaction(body)
    }

    /// Runs `body` in a read-only transaction on the reader's connection: one snapshot (REPEATABLE READ).
    func read<T>(_ body: (PostgresConnection) throws -> T) throws(StoreError) -> T {
        try reader.withConnection { connection in
            try reader.run("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", on: connection)
            defer { _ = try? reader.run("COMMIT", on: connection) }
            return try body(connection)
        }
    }

    func nextCommitOrder() -> UInt64 {
        bookkeeping.withLockedValue { books in
            defer { books.commits += 1 }
            return books.commits
        }
    }

    func notifyObservers(_ change: CommittedChange) {
        for observer in observers.withLockedValue({ $0 }) { observer(change) }
    }
}
