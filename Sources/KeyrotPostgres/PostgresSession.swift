import Foundation
import KeyrotCore
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import NIOSSL
import PostgresNIO

/// One connection to the PostgreSQL server, used by one caller at a time, opened on first use and again after it
/// was lost: the store's writer, its reader, and the change feed each have one.
///
/// - Important: Every call blocks its thread until the server answers (never call it on Swift's cooperative pool),
///   and never longer than ``callTimeout``: a server that stops answering has its connection closed, the call
///   throws, and the next call connects anew.
final class PostgresSession: Sendable {
    /// How long one statement may take before its connection is given up.
    static let callTimeout = TimeAmount.seconds(10)

    let address: PostgresAddress
    private let password: String?
    private let role: String
    private let logger: Logger
    private let connection = NIOLockedValueBox<PostgresConnection?>(nil)
    /// When connecting last failed: for a moment after, calls fail at once instead of waiting for another connection
    /// attempt each (a host cut off from the server keeps signing without a write's delay on every token).
    private let lastConnectFailure = NIOLockedValueBox<(at: NIODeadline, error: StoreError)?>(nil)
    /// How long a failed connection attempt is not repeated.
    static let reconnectPause = TimeAmount.seconds(1)
    private let calls = NIOLock()

    init(address: PostgresAddress, password: String?, role: String, logger: Logger) {
        self.address = address
        self.password = password
        self.role = role
        self.logger = logger
    }

    /// Runs `body` with the connection, one caller at a time; a connection that failed under it is closed, so the
    /// next call connects again.
    func withConnection<T>(_ body: (PostgresConnection) throws -> T) throws(StoreError) -> T {
        calls.lock()
        defer { calls.unlock() }
        if let failure = lastConnectFailure.withLockedValue({ $0 }),
            NIODeadline.now() < failure.at + Self.reconnectPause
        {
            throw failure.error
        }
        let current: PostgresConnection
        do { current = try openedConnection() } catch {
            // A refusal the server gave (a role, a password, a database that is not there) is said as it is;
            // anything else on the way to it (refused, timed out, no route, TLS) means it cannot be reached.
            let failure =
                (error as? PSQLError)?.serverInfo?[.sqlState] != nil
                ? StoreError(postgres: error, at: address)
                : StoreError.databaseUnreachable(
                    location: address.description,
                    problem: StoreError.connectionProblem(error)
                )
            lastConnectFailure.withLockedValue { $0 = (NIODeadline.now(), failure) }
            throw failure
        }
        lastConnectFailure.withLockedValue { $0 = nil }
        do {
            return try body(current)
        } catch {
            if current.isClosed || StoreError.isConnectionLost(error) { drop(current) }
            throw StoreError(postgres: error, at: address)
        }
    }

    /// Runs `body` in a transaction (READ COMMITTED, as PostgreSQL's default) and commits it: the commit has
    /// reached the server's disk when this returns (`synchronous_commit` is on for every session of the store).
    @discardableResult
    func transaction<T>(_ body: (PostgresConnection) throws -> T) throws(StoreError) -> T {
        try withConnection { connection in
            try run("BEGIN", on: connection)
            do {
                let value = try body(connection)
                try run("COMMIT", on: connection)
                return value
            } catch {
                if !connection.isClosed { _ = try? run("ROLLBACK", on: connection) }
                throw error
            }
        }
    }

    /// Runs one statement on `connection` and collects its rows, closing the connection if the server takes longer
    /// than ``callTimeout``.
    @discardableResult
    func run(_ query: PostgresQuery, on connection: PostgresConnection) throws -> PostgresQueryResult {
        let future = connection.query(query, logger: logger)
        let watchdog = connection.eventLoop.scheduleTask(in: Self.callTimeout) {
            _ = connection.close() as EventLoopFuture<Void>
        }
        defer { watchdog.cancel() }
        return try future.wait()
    }

    /// Closes the connection, if one is open.
    func close() {
        if let open = connection.withLockedValue({ $0.take() }) { try? (open.close() as EventLoopFuture<Void>).wait() }
    }

    private func drop(_ failed: PostgresConnection) {
        connection.withLockedValue { if $0 === failed { $0 = nil } }
        Self.closeInBackground(failed)
    }

    deinit {
        if let open = connection.withLockedValue({ $0.take() }) { Self.closeInBackground(open) }
    }

    /// Closes `connection` without waiting, keeping it alive until its channel is closed (PostgresNIO requires a
    /// connection to be closed before it goes).
    private static func closeInBackground(_ connection: PostgresConnection) {
        (connection.close() as EventLoopFuture<Void>).whenComplete { _ in withExtendedLifetime(connection) {} }
    }

    private func openedConnection() throws -> PostgresConnection {
        if let open = connection.withLockedValue({ $0 }), !open.isClosed { return open }
        var configuration = PostgresConnection.Configuration(
            host: address.host,
            port: address.port,
            username: address.user,
            password: password,
            database: address.database,
            tls: try tls()
        )
        configuration.options.connectTimeout = Self.callTimeout
        configuration.options.additionalStartupParameters = [
            ("application_name", "keyrotd \(role)"),
            // Every acknowledged change is on the server's disk before the reply, whatever the server's default.
            ("synchronous_commit", "on"),
            ("TimeZone", "UTC"),
            // The server notices a host that vanished (and lets go of its locks: the scheduler lease) within about
            // 11 s, not the kernel's default two hours.
            ("tcp_keepalives_idle", "5"),
            ("tcp_keepalives_interval", "2"),
            ("tcp_keepalives_count", "3"),
        ]
        let opened = try PostgresConnection.connect(
            on: MultiThreadedEventLoopGroup.singleton.any(),
            configuration: configuration,
            id: 0,
            logger: logger
        ).wait()
        connection.withLockedValue { $0 = opened }
        return opened
    }

    private func tls() throws -> PostgresConnection.Configuration.TLS {
        switch address.tls {
        case .disable: return .disable
        case .prefer: return .prefer(try NIOSSLContext(configuration: .makeClientConfiguration()))
        case .require: return .require(try NIOSSLContext(configuration: .makeClientConfiguration()))
        }
    }
}
