import Foundation

extension SpawnedDaemon {
    /// Installs `database` in a state directory under `base`, reports how long it took to build and its size, and
    /// starts the release keyrotd on it; returns once `READY=1` came, with how long that took after the spawn.
    ///
    /// - Important: The caller stops the daemon; if it never gets ready, it is stopped here.
    static func startOnBuiltDatabase(
        _ database: ScaleDatabase,
        workspaces: Int,
        builtSince buildStart: ContinuousClock.Instant,
        base: String,
        executable: String,
        masterKeyFile: String,
        watchdogSeconds: Double,
        report: inout ScaleReport
    ) async throws -> (daemon: SpawnedDaemon, ready: Duration) {
        let stateDirectory = base + "/state"
        let size = try database.install(inStateDirectory: stateDirectory)
        report.row(
            "database built (\(workspaces) × createWorkspace through KeyStore, on tmpfs, then copied)",
            String(format: "%.1f s, ", (ContinuousClock.now - buildStart).inSeconds) + ProcessUsage.mebibytes(size),
            "-"
        )
        let daemon = try SpawnedDaemon(
            executable: executable,
            stateDirectory: stateDirectory,
            masterKeyFile: masterKeyFile,
            socket: base + "/control.sock",
            notifySocket: base + "/notify.sock",
            log: base + "/keyrotd.log",
            watchdog: watchdogSeconds > 0 ? .seconds(watchdogSeconds) : nil
        )
        Swift.print("  keyrotd started, pid \(daemon.pid)")
        fflush(nil)
        guard let ready = try await daemon.waitUntilReady(timeout: .seconds(120)) else {
            let status = daemon.stop()
            let log = (try? String(contentsOfFile: base + "/keyrotd.log", encoding: .utf8)) ?? ""
            throw ScaleFailure(
                "keyrotd did not send READY=1 within 120 s (exit status \(status)); its log ends:\n"
                    + log.split(separator: "\n").suffix(5).joined(separator: "\n")
            )
        }
        return (daemon, ready)
    }
}
