import Foundation
import KeyrotTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The security review's journal flood: one uid repeating a call it may not make (20 000 in a few seconds) would,
/// logged line for line, run into journald's rate limit for the unit, which then drops everything keyrotd says,
/// its audit events included. Denials and refused connections are logged a few times a minute per uid, and what
/// was held back is counted.
@Suite(.serialized) struct DenialFloodTests {
    static func asUID(_ uid: UInt32, _ arguments: [String]) -> [String] {
        ["--reuid=\(uid)", "--regid=\(uid)", "--clear-groups", "--", "/usr/bin/python3"] + arguments
    }

    @Test(.enabled(if: Repository.runningAsRoot, "needs root to attack as another uid"))
    func twentyThousandDeniedCallsAndRefusedConnectionsLogFewerThanAHundredLines() async throws {
        let daemon = try await KeyrotctlTests.RunningDaemon(configuration: "[workspace.acme]\n")
        chmod(daemon.socket, 0o666)
        let harness = Repository.path("Tests/Harness/flood-peer")
        let rotate = #"{"method":"io.keyrotd.Rotate","parameters":{"workspace":"acme"}}"#
        let denied = try await ProcessResult.runOffPool(
            "/usr/bin/setpriv",
            Self.asUID(65534, [harness, daemon.socket, rotate, "20000", "120", "read"])
        )
        #expect(
            denied.standardOutput == "replies 20000 errors 20000\n",
            "\(denied.standardOutput)\(denied.standardError)"
        )
        // 300 connections from one uid: the ones past its 64 are refused.
        let connections = try SpawnedProcess(
            "/usr/bin/setpriv",
            Self.asUID(65534, [harness, daemon.socket, "-", "300", "20", "connect"]),
            logFile: daemon.directory.path("connections.log")
        )
        #expect(
            try await DaemonProcess.eventually(timeout: 30) { connections.log.hasSuffix("\n") },
            "\(connections.log)"
        )
        let refusedConnections = try #require(
            Int(connections.log.split(separator: " ").last?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""),
            "\(connections.log)"
        )
        #expect(refusedConnections >= 300 - 64 - 1, "\(connections.log)")
        connections.send(SIGKILL)
        _ = try await connections.waitForExit(timeout: 10)
        // What matters still gets through: an administrator's rotation right after is logged.
        #expect(try daemon.ctl(["rotate", "acme", "--emergency", "--reason", "after the flood"]).status == 0)
        daemon.process.send(SIGTERM)
        #expect(try await daemon.process.waitForExit(timeout: Sanitizer.limit(2)) == 0)
        let log = daemon.process.log
        defer { daemon.directory.remove() }

        let lines = log.split(separator: "\n").filter { !$0.contains("were not logged") }
        let summaries = log.split(separator: "\n").filter { $0.contains("were not logged") }
        let denials = lines.filter { $0.contains("control call denied") }
        let refusals = lines.filter { $0.contains("control connection refused") }
        #expect(denials.count + refusals.count < 100, "\(denials.count) denials and \(refusals.count) refusals logged")
        #expect(denials.count >= 1 && refusals.count >= 1, "\(log.suffix(3000))")
        #expect(lines.contains { $0.contains("keyrot.event=emergency_rotated") && $0.contains("after the flood") })
        // Held back, and counted: each of the 20 000 denials and the refusals is either a line or in a count. A
        // count is said by a summary (every minute, and at the stop) or, when the flood outlasts a minute (as it
        // does under a sanitizer), by the peer's first line of the next minute.
        let counted = log.split(separator: "\n").compactMap { line in
            line.split(separator: " ").first { $0.hasPrefix("keyrot.suppressed=") }.flatMap {
                Int($0.dropFirst("keyrot.suppressed=".count))
            }
        }
        #expect(!summaries.isEmpty, "what was held back at the stop is summed up")
        #expect(counted.reduce(0, +) + denials.count + refusals.count == 20000 + refusedConnections, "\(counted)")
    }
}
