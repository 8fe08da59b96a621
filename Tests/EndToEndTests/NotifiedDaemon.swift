import Foundation
import KeyrotTestSupport
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// A `keyrotd --dev` process reporting to a ``NotifyListener``, as it would to systemd: `NOTIFY_SOCKET`, and
/// `WATCHDOG_USEC`/`WATCHDOG_PID` when a watchdog is armed.
final class NotifiedDaemon: Sendable {
    let directory: TemporaryDirectory
    let listener: NotifyListener
    let process: DaemonProcess

    var stateDirectory: String { directory.path("state") }
    let socket: String
    let clientLauncher: [String]
    var database: String { directory.path("state/keyrotd.db") }
    var configurationFile: String { directory.path("keyrotd.toml") }

    /// - Parameters:
    ///   - launcher: a command that runs the daemon's command line given after it, keeping its pid (`exec`), to
    ///     start the daemon in a prepared environment (a private mount namespace, say).
    ///   - socketBesideState: put the control socket in the test's directory rather than in the state directory
    ///     (which the launcher may hide from the test, behind a mount of its own).
    ///   - clientLauncher: a command that runs keyrotctl's command line given after it (as the daemon's user, say:
    ///     keyrotctl talks only to a server of its own user, root or keyrotd's).
    ///   - extra: variables set in the daemon's environment besides the notify socket's.
    ///   - onMessage: runs on the listener's thread as each message arrives.
    init(
        configuration: String,
        watchdog: Duration? = nil,
        directory: TemporaryDirectory? = nil,
        launcher: [String] = [],
        socketBesideState: Bool = false,
        clientLauncher: [String] = [],
        environment extra: [String: String] = [:],
        onMessage: @escaping @Sendable (NotifyListener.Message) -> Void = { _ in }
    ) throws {
        let directory = try directory ?? TemporaryDirectory()
        self.directory = directory
        self.clientLauncher = clientLauncher
        socket = directory.path(socketBesideState ? "control.sock" : "state/control.sock")
        try configuration.write(toFile: directory.path("keyrotd.toml"), atomically: true, encoding: .utf8)
        listener = try NotifyListener(path: directory.path("notify"), onMessage: onMessage)
        let daemon = [
            DaemonProcess.builtBinary, "--dev", "--state-dir", directory.path("state"),
            "--config", directory.path("keyrotd.toml"), "--socket", socket,
        ]
        let command = launcher + daemon
        process = try DaemonProcess(
            executable: "/bin/sh",
            arguments: NotifyListener.watchdogLauncher(command[0], Array(command.dropFirst())),
            environment: listener.environment(watchdog: watchdog).merging(extra) { $1 },
            logFile: directory.path("log")
        )
    }

    /// The messages so far.
    var messages: [NotifyListener.Message] { listener.messages }

    /// Waits for a message satisfying `condition`; returns it.
    func message(
        timeout: Duration = .seconds(20),
        _ condition: @escaping (NotifyListener.Message) -> Bool
    ) async throws -> NotifyListener.Message? {
        _ = try await listener.waitFor(timeout: timeout) { $0.contains(where: condition) }
        return messages.first(where: condition)
    }

    /// The watchdog pings that arrived after `instant`.
    func pings(after instant: ContinuousClock.Instant) -> [NotifyListener.Message] {
        messages.filter { $0["WATCHDOG"] == "1" && $0.arrived > instant }
    }

    /// Runs keyrotctl against this daemon.
    func ctl(_ arguments: [String], input: String = "") throws -> ProcessResult {
        let command = clientLauncher + [DaemonProcess.builtControlBinary, "--socket", socket] + arguments
        return try ProcessResult.run(command[0], Array(command.dropFirst()), input: input)
    }

    /// ``ctl(_:input:)`` without holding a cooperative thread while keyrotctl runs.
    func ctlOffPool(_ arguments: [String], input: String = "") async throws -> ProcessResult {
        let command = clientLauncher + [DaemonProcess.builtControlBinary, "--socket", socket] + arguments
        return try await ProcessResult.runOffPool(command[0], Array(command.dropFirst()), input: input)
    }

    func shell(_ sql: String) throws -> String {
        try SQLiteShell.query(sql, database: database)
    }

    /// Runs `command` with `/bin/sh` in the daemon's mount namespace (its launcher may have made one).
    func inNamespace(_ command: String) throws -> ProcessResult {
        try ProcessResult.run("nsenter", ["--target", "\(process.pid)", "--mount", "--", "/bin/sh", "-c", command])
    }

    /// SIGTERM; returns the exit status (nil if it did not exit within 5 s).
    func stop() async throws -> Int32? {
        process.send(SIGTERM)
        let status = try await process.waitForExit(timeout: Sanitizer.limit(5))
        listener.close()
        return status
    }

    deinit {
        listener.close()
    }
}

extension NotifyListener.Message {
    /// The longest gap between consecutive instants in `instants`.
    static func longestGap(_ instants: [ContinuousClock.Instant]) -> Duration {
        zip(instants, instants.dropFirst()).map { $1 - $0 }.max() ?? .zero
    }
}
