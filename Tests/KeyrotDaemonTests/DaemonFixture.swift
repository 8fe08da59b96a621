import Foundation
import InMemoryLogging
import KeyrotCore
import KeyrotDaemon
import KeyrotTestSupport
import Logging

/// An in-process daemon in a fresh state directory, on a manual clock, with its logs captured; when the test is
/// done the logs are written beside the state (for the leak sweep) and the directory removed.
final class DaemonFixture: Sendable {
    static let t0 = Timestamp(secondsSinceEpoch: 1_795_600_000)
    static let acmeConfiguration = """
        [workspace.acme]
        rotate_every = "2s"
        grace = "3s"
        """

    let directory: TemporaryDirectory
    let clock: ManualClock
    let logs = InMemoryLogHandler()

    var logger: Logger {
        let handler = logs
        var logger = Logger(label: "keyrotd-test") { _ in handler }
        logger.logLevel = .debug
        return logger
    }

    var stateDirectory: String { directory.path("state") }
    var databasePath: String { directory.path("state/keyrotd.db") }

    init(clock: ManualClock = ManualClock(now: DaemonFixture.t0)) throws {
        directory = try TemporaryDirectory()
        self.clock = clock
    }

    deinit {
        let lines = logs.entries.map { "\($0.level) \($0.message) \($0.metadata)\n" }.joined()
        try? lines.write(toFile: directory.path("log"), atomically: true, encoding: .utf8)
        directory.remove()
    }

    /// Writes `toml` to a file in the directory and returns its path.
    func configurationFile(_ toml: String = acmeConfiguration, name: String = "keyrotd.toml") throws -> String {
        let path = directory.path(name)
        try toml.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// Starts a `--dev` daemon on this fixture's state directory.
    func startDevelopmentDaemon(configuration: String? = nil) throws -> Daemon {
        let configurationFile = try configuration ?? configurationFile()
        return try Self.reopening {
            try Daemon(
                options: DaemonOptions(
                    development: true,
                    stateDirectory: stateDirectory,
                    configurationFile: configurationFile,
                    environment: [:],
                    journal: .off
                ),
                clock: clock,
                logger: logger
            )
        }
    }

    /// `start()`, tried again for up to 5 s while this very process still holds the state directory's lock. A test
    /// that restarts keyrotd in-process has released the first daemon, which closed its lock file; but a child
    /// process that another test spawned at that moment holds a copy of the descriptor until its exec closes it
    /// (`O_CLOEXEC` acts at exec, not at fork), and with it the lock. (A real keyrotd's lock goes when its process
    /// does; a lock held by another process is a failure at once.)
    static func reopening(_ start: () throws -> Daemon) throws -> Daemon {
        let deadline = ContinuousClock.now + .seconds(5)
        while true {
            do {
                return try start()
            } catch DaemonError.stateDirectoryInUse(_, let holder)
                where holder == getpid()
                && ContinuousClock.now < deadline
            {
                Thread.sleep(forTimeInterval: 0.01)
            }
        }
    }

    func shell(_ sql: String) throws -> String {
        try SQLiteShell.query(sql, database: databasePath)
    }

    /// Every log message and metadata value, as one text to search.
    var allLogText: String {
        logs.entries.map { entry in
            "\(entry.message) " + entry.metadata.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
        }.joined(separator: "\n")
    }
}
