import Foundation

/// The real `keyrotd` executable started as in production (`--master-key-file`, `--state-dir`, `--socket`, no
/// `--dev`), with a ``NotifySocket`` as its service manager and its log in a file.
///
/// - Important: ``stop()`` it (SIGTERM, as systemd stops it) before the benchmark ends.
final class SpawnedDaemon {
    let process = Process()
    let notify: NotifySocket
    /// When `posix_spawn` was called.
    let spawnedAt: ContinuousClock.Instant
    /// The file its standard output and error go to.
    let logPath: String?

    /// Starts `executable`; `watchdog` sets `WATCHDOG_USEC` as `WatchdogSec=` would.
    init(
        executable: String,
        stateDirectory: String,
        masterKeyFile: String,
        socket: String,
        notifySocket: String,
        log: String,
        watchdog: Duration?,
        extraArguments: [String] = []
    ) throws {
        notify = try NotifySocket(path: notifySocket)
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments =
            [
                "--state-dir", stateDirectory, "--master-key-file", masterKeyFile, "--socket", socket,
            ] + extraArguments
        var environment = ProcessInfo.processInfo.environment
        for name in ["WATCHDOG_USEC", "WATCHDOG_PID", "LISTEN_FDS", "LISTEN_PID", "LISTEN_FDNAMES", "JOURNAL_STREAM"] {
            environment[name] = nil
        }
        environment["NOTIFY_SOCKET"] = notifySocket
        if let watchdog { environment["WATCHDOG_USEC"] = "\(watchdog.microseconds)" }
        process.environment = environment
        logPath = log
        _ = FileManager.default.createFile(atPath: log, contents: nil)
        let output = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
        process.standardOutput = output
        process.standardError = output
        process.standardInput = FileHandle.nullDevice
        spawnedAt = .now
        try process.run()
    }

    var pid: Int32 { process.processIdentifier }

    /// How long after the spawn the daemon said `READY=1`; nil if it did not within `timeout`.
    func waitUntilReady(timeout: Duration) async throws -> Duration? {
        try await notify.first("READY=1", timeout: timeout).map { $0.arrived - spawnedAt }
    }

    /// How many `WATCHDOG=1` pings have arrived so far.
    var watchdogPings: Int { notify.messages.filter { $0.has("WATCHDOG=1") }.count }

    /// SIGTERM, then waits for the exit; returns the exit status.
    @discardableResult
    func stop() -> Int32 {
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
        notify.close()
        return process.terminationStatus
    }
}
