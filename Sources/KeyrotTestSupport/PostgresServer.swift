import Foundation
import NIOConcurrencyHelpers

#if canImport(Glibc)
import Glibc
#endif

/// A throwaway PostgreSQL cluster from Debian's `postgresql` package, for the PostgreSQL store's tests: `initdb`
/// into a temporary directory, `pg_ctl start` on a free loopback port, trust authentication for the role `keyrotd`
/// that owns each test's own database. Run as `postgres` when the tests run as root (PostgreSQL refuses root).
///
/// - Important: A watcher started beside the cluster stops it (`pg_ctl stop -m immediate`) and removes its directory
///   once the test process is gone, however it ended, so no server outlives the tests.
///
/// Everything that runs a program (`initdb`, `pg_ctl`, `psql`) is async and waits on a thread of its own: a test
/// waiting for a child on one of the cooperative pool's threads (two, on two cores) stalls every other test's tasks
/// meanwhile. Before it was, the first tests to ask for the shared cluster held both threads through `initdb`, and
/// tests beside them that time a daemon or keep a load going saw seconds pass with their tasks never resumed.
public final class PostgresServer: Sendable {
    /// Where Debian's packages put the server's programs (`pg_ctl`, `initdb`), or nil when none is installed.
    public static let binDirectory: String? = {
        let versions = (try? FileManager.default.contentsOfDirectory(atPath: "/usr/lib/postgresql")) ?? []
        return versions.compactMap(Int.init).sorted().map { "/usr/lib/postgresql/\($0)/bin" }
            .last { FileManager.default.isExecutableFile(atPath: $0 + "/initdb") }
    }()

    /// Whether the PostgreSQL tests run: a server is installed, or `KEYROT_REQUIRE_POSTGRES` is set (CI's PostgreSQL
    /// stage, where a missing server must fail the tests rather than skip them).
    public static var isAvailable: Bool {
        binDirectory != nil || ProcessInfo.processInfo.environment["KEYROT_REQUIRE_POSTGRES"] != nil
    }

    /// One cluster for every test of the process that needs no server of its own, made on first use; a test that
    /// asks meanwhile waits without holding a thread.
    public static func shared() async throws -> PostgresServer { try await sharedCluster.value }

    private static let sharedCluster = Task { try await make() }

    public let directory: String
    public let port: Int
    private let databases = NIOLockedValueBox(0)

    /// Makes and starts a cluster of its own (for a test that stops and starts its server).
    public static func make() async throws -> PostgresServer { try await onOwnThread { try PostgresServer() } }

    private init() throws {
        guard let bin = Self.binDirectory else {
            throw Failure("no PostgreSQL server is installed (apt-get install postgresql)")
        }
        let scratch = try TemporaryDirectory(function: "pg")
        directory = scratch.path
        if geteuid() == 0 { _ = try Self.checked("chown", ["postgres:postgres", directory]) }
        try Self.asServerUser(
            bin + "/initdb",
            [
                "-D", directory + "/data", "--auth=trust", "-U", "postgres", "--no-sync", "-E", "UTF8",
                "--locale=C.UTF-8",
            ]
        )
        var started: Int?
        var lastFailure: (any Error)?
        for _ in 0..<20 where started == nil {
            let candidate = Int.random(in: 20_000..<60_000)
            do {
                try Self.startServer(bin: bin, directory: directory, port: candidate)
                started = candidate
            } catch {
                lastFailure = error
            }
        }
        guard let port = started else {
            throw Failure("the PostgreSQL server did not start on any port tried: \(lastFailure.map { "\($0)" } ?? "")")
        }
        self.port = port
        // Stops the cluster and removes it once this process is gone, however it ends.
        let watcher = Process()
        watcher.executableURL = URL(fileURLWithPath: "/bin/sh")
        let stop = geteuid() == 0 ? "runuser -u postgres -- " : ""
        watcher.arguments = [
            "-c",
            "while kill -0 \(getpid()) 2>/dev/null; do sleep 1; done; \(stop)\(bin)/pg_ctl -D \"$1/data\" -m immediate "
                + "stop >/dev/null 2>&1; rm -rf \"$1\"",
            "postgres-watcher", directory,
        ]
        watcher.standardOutput = FileHandle.nullDevice
        watcher.standardError = FileHandle.nullDevice
        try watcher.run()
        try Self.checked(
            "psql",
            Self.psqlArguments(port: port, role: "postgres", database: "postgres"),
            "CREATE ROLE keyrotd LOGIN"
        )
    }

    /// A fresh, empty database owned by `keyrotd`, as the URL keyrotd's `[store] url` takes.
    public func makeDatabase() async throws -> String {
        let number = databases.withLockedValue { count in
            count += 1
            return count
        }
        let name = "keyrotd_\(getpid())_\(number)"
        try await psql(database: "postgres", as: "postgres", "CREATE DATABASE \(name) OWNER keyrotd")
        return url(of: name)
    }

    public func url(of database: String) -> String {
        "postgresql://keyrotd@127.0.0.1:\(port)/\(database)?sslmode=disable"
    }

    /// Runs `sql` with plain `psql` (unaligned, tuples only), as an auditor would; the database is a name or a URL.
    /// - Throws: ``Failure`` with psql's message when it fails.
    @discardableResult
    public func psql(database: String, as role: String = "keyrotd", _ sql: String) async throws -> String {
        let name = database.contains("/") ? String(database.split(separator: "/").last!.prefix { $0 != "?" }) : database
        let result = try await ProcessResult.runOffPool(
            "psql",
            Self.psqlArguments(port: port, role: role, database: name),
            input: sql
        )
        guard result.status == 0 else { throw Failure(result.standardError) }
        return result.standardOutput.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Stops the server (fast shutdown: open connections are closed).
    public func stop() async throws {
        let directory = directory
        _ = try await onOwnThread {
            try Self.asServerUser(
                Self.binDirectory! + "/pg_ctl",
                ["-D", directory + "/data", "-m", "fast", "-w", "stop"]
            )
        }
    }

    /// Starts the server again on its port.
    public func start() async throws {
        let (directory, port) = (directory, port)
        try await onOwnThread { try Self.startServer(bin: Self.binDirectory!, directory: directory, port: port) }
    }

    private static func psqlArguments(port: Int, role: String, database: String) -> [String] {
        ["-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1", "-p", "\(port)", "-U", role, database]
    }

    /// Starts the server with `pg_ctl start`, through ``SpawnedProcess`` and a bash that first closes every
    /// descriptor but the standard three: the server left running would otherwise keep a descriptor Foundation's
    /// `Process` watches (this one's or a concurrent test's), which would then wait for the server to end.
    private static func startServer(bin: String, directory: String, port: Int) throws {
        let pgctl = [
            bin + "/pg_ctl", "-D", directory + "/data", "-l", directory + "/server.log", "-w", "-t", "30", "-o",
            "-p \(port) -k \(directory) -c listen_addresses=127.0.0.1", "start",
        ]
        let closeAndRun = "for fd in $(ls /proc/$$/fd); do [ \"$fd\" -gt 2 ] && eval \"exec $fd>&-\"; done; exec \"$@\""
        let command =
            ["-c", closeAndRun, "pg_ctl"] + (geteuid() == 0 ? ["runuser", "-u", "postgres", "--"] : []) + pgctl
        let starting = try SpawnedProcess("/bin/bash", command, logFile: directory + "/pg_ctl.log")
        guard starting.waitForExit() == 0 else { throw Failure("pg_ctl start failed: \(starting.log)") }
    }

    @discardableResult
    private static func asServerUser(_ program: String, _ arguments: [String]) throws -> String {
        geteuid() == 0
            ? try checked("runuser", ["-u", "postgres", "--", program] + arguments) : try checked(program, arguments)
    }

    @discardableResult
    private static func checked(_ program: String, _ arguments: [String], _ input: String = "") throws -> String {
        let result = try ProcessResult.run(program, arguments, input: input)
        guard result.status == 0 else {
            throw Failure("\(program) failed (\(result.status)): \(result.standardError)\(result.standardOutput)")
        }
        return result.standardOutput
    }

    /// Why the harness could not do what it was asked.
    public struct Failure: Error, CustomStringConvertible {
        public var description: String
        init(_ description: String) { self.description = description }
    }
}
