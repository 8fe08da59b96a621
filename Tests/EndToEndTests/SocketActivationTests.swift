import Foundation
import KeyrotTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// keyrotd started the way keyrotd.socket starts it: systemd-socket-activate binds and listens, then hands the
/// socket over (`LISTEN_FDS`, `LISTEN_FDNAMES=control`).
@Suite struct SocketActivationTests {
    @Test func theDaemonServesKeyrotctlOnTheInheritedSocketAndLeavesItsFileAlone() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try "[workspace.acme]\nrotate_every = \"1h\"\n"
            .write(toFile: directory.path("keyrotd.toml"), atomically: true, encoding: .utf8)
        let socket = directory.path("activated.sock")
        // systemd-socket-activate hands the daemon only the variables it is told to pass on: a sanitized build's
        // options (suppressions, say) among them.
        let passedOn = ["ASAN_OPTIONS", "LSAN_OPTIONS", "TSAN_OPTIONS"]
            .filter { ProcessInfo.processInfo.environment[$0] != nil }.map { "--setenv=\($0)" }
        let daemon = try SpawnedProcess(
            "/usr/bin/systemd-socket-activate",
            ["--listen=\(socket)", "--fdname=control"] + passedOn + [
                DaemonProcess.builtBinary, "--dev",
                "--state-dir", directory.path("state"), "--config", directory.path("keyrotd.toml"),
            ],
            logFile: directory.path("log")
        )
        let status = try await eventuallyResult(timeout: 20) {
            try ProcessResult.run(DaemonProcess.builtControlBinary, ["--socket", socket, "status"])
        }
        #expect(status.status == 0, "\(status.standardError); log: \(daemon.log)")
        #expect(status.standardOutput.contains("1 workspace"))
        let signed = try ProcessResult.run(
            DaemonProcess.builtControlBinary,
            ["--socket", socket, "sign", "acme", "--user-id", "user-42"]
        )
        #expect(signed.status == 0, "\(signed.standardError)")
        #expect(
            !FileManager.default.fileExists(atPath: directory.path("state/control.sock")),
            "with a socket handed over, keyrotd binds none of its own"
        )
        #expect(daemon.log.contains("descriptor"), "the log says which socket it serves: \(daemon.log)")

        daemon.send(SIGTERM)
        let exit = try await daemon.waitForExit(timeout: 5)
        #expect(exit == 0, "log: \(daemon.log)")
        var status2 = stat()
        #expect(lstat(socket, &status2) == 0, "the socket file belongs to the service manager: it stays")
    }

    /// Runs `body` until it exits 0 or `timeout` seconds pass; returns the last result.
    func eventuallyResult(timeout: Double, _ body: () throws -> ProcessResult) async throws -> ProcessResult {
        let deadline = Date().addingTimeInterval(timeout)
        var result = try body()
        while result.status != 0, Date() < deadline {
            try await Task.sleep(for: .milliseconds(100))
            result = try body()
        }
        return result
    }
}
