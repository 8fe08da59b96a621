#if PostgreSQL
import Foundation
import KeyrotTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Three keyrotd processes on one PostgreSQL database, as three hosts would run them: one schedules at a time, every
/// one signs and verifies, and each learns of the others' changes.
@Suite(.serialized, .enabled(if: PostgresServer.isAvailable, "no PostgreSQL server is installed"))
struct SeveralHostsOnPostgreSQLTests {
    /// One "host": its own state directory and control socket, the shared database and master key.
    final class Host: @unchecked Sendable {
        let name: String
        let directory: TemporaryDirectory
        let arguments: [String]
        var daemon: DaemonProcess?
        var starts = 0

        init(name: String, url: String, masterKey: String, base: TemporaryDirectory, period: String) throws {
            self.name = name
            directory = base
            let configuration = directory.path("\(name).toml")
            try """
            [store]
            backend = "postgresql"
            url = "\(url)"

            [workspace.acme]
            rotate_every = "\(period)"
            grace = "\(period)"
            token_ttl = "1min"
            max_token_ttl = "1h"
            """.write(toFile: configuration, atomically: true, encoding: .utf8)
            arguments = [
                "--dev", "--state-dir", directory.path("\(name)-state"), "--config", configuration,
                "--master-key-file", masterKey,
            ]
        }

        var socket: String { directory.path("\(name)-state/control.sock") }

        func start() throws {
            starts += 1
            daemon = try DaemonProcess(arguments: arguments, logFile: directory.path("\(name).log.\(starts)"))
        }

        func ctl(_ arguments: [String], input: String = "") async throws -> ProcessResult {
            try await ProcessResult.runOffPool(
                DaemonProcess.builtControlBinary,
                ["--socket", socket] + arguments,
                input: input
            )
        }

        /// Whether this host's log says it runs the schedule now (its last word on the lease).
        var leads: Bool {
            guard let log = daemon?.log else { return false }
            let took = log.range(of: Self.tookLease, options: .backwards)
            let lost = log.range(of: Self.lostLease, options: .backwards)
            guard let took else { return false }
            return lost.map { took.lowerBound > $0.lowerBound } ?? true
        }

        static let tookLease = "this keyrotd now runs the schedule"
        static let lostLease = "this keyrotd no longer runs the schedule"
    }

    /// Three hosts on a fresh database, started, and the workspace created by one of them.
    func startHosts(
        period: String,
        server: PostgresServer? = nil
    ) async throws -> (
        [Host], PostgresServer, String, TemporaryDirectory
    ) {
        let shared = server == nil ? try await PostgresServer.shared() : nil
        let server = server ?? shared!
        let url = try await server.makeDatabase()
        let base = try TemporaryDirectory()
        let key = base.path("master-key")
        let bytes = (0..<32).map { _ in UInt8.random(in: 0...255) }
        #expect(
            FileManager.default.createFile(atPath: key, contents: Data(bytes), attributes: [.posixPermissions: 0o600])
        )
        let hosts = try ["a", "b", "c"].map {
            try Host(name: $0, url: url, masterKey: key, base: base, period: period)
        }
        for host in hosts {
            try host.start()
            #expect(
                try await DaemonProcess.eventually(timeout: Sanitizer.limit(20)) {
                    FileManager.default.fileExists(atPath: host.socket)
                },
                "host \(host.name): \(host.daemon?.log ?? "")"
            )
        }
        return (hosts, server, url, base)
    }

    @Test func killingTheLeaderMovesTheScheduleAndEveryPeriodRotatesOnce() async throws {
        let (hosts, server, url, base) = try await startHosts(period: "2s")
        defer { base.remove() }
        let started = Date()
        var kills = 0
        // About 25 periods; the leader is killed with SIGKILL every 4 to 6 s and started again.
        while Date().timeIntervalSince(started) < 50 {
            try await Task.sleep(for: .milliseconds(Int.random(in: 4000...6000)))
            guard let leader = hosts.first(where: \.leads) else { continue }
            leader.daemon?.send(SIGKILL)
            _ = try await leader.daemon?.waitForExit(timeout: 5)
            kills += 1
            try leader.start()
        }
        try await Task.sleep(for: .seconds(3))
        for host in hosts { host.daemon?.send(SIGTERM) }
        for host in hosts { _ = try await host.daemon?.waitForExit(timeout: Sanitizer.limit(10)) }

        let times = try await server.psql(
            database: url,
            "SELECT at FROM audit_log WHERE event = 'rotated' AND reason = 'scheduled' ORDER BY seq"
        ).split(separator: "\n").map { Int64($0)! }
        #expect(kills >= 5, "the leader was killed \(kills) times")
        #expect(times.count >= 20, "\(times.count) scheduled rotations")
        let gaps = zip(times, times.dropFirst()).map { $1 - $0 }
        // Once per period: never two in one; and a dead leader's successor takes over within the lease retry.
        #expect(gaps.allSatisfy { $0 >= 2 }, "gaps \(gaps)")
        #expect(gaps.allSatisfy { $0 <= 2 + 2 + 2 }, "gaps \(gaps)")
        #expect(try await server.psql(database: url, "SELECT count(*) FROM audit_chain_breaks") == "0")
        #expect(try await server.psql(database: url, "SELECT count(*) FROM key_status WHERE state = 'active'") == "1")
    }

    @Test func anEmergencyRotationOnOneHostIsRefusedOnEveryHostWithinASecond() async throws {
        let (hosts, _, _, base) = try await startHosts(period: "1h")
        defer { base.remove() }
        let signed = try await hosts[0].ctl(["sign", "acme", "--user-id", "u1"])
        #expect(signed.status == 0, "\(signed.standardError)")
        let token = signed.standardOutput.trimmingCharacters(in: .whitespacesAndNewlines)
        for host in hosts { #expect(try await host.ctl(["verify", "acme", token]).status == 0) }

        let rotated = try await hosts[2].ctl(["rotate", "acme", "--emergency", "--reason", "leaked"])
        #expect(rotated.status == 0, "\(rotated.standardError)")
        let refusedAt = Date()
        for host in hosts {
            let refused = try await DaemonProcess.eventually(timeout: 1) {
                let verdict = try await host.ctl(["verify", "acme", token])
                return verdict.status == 1 && verdict.standardError.contains("revoked")
            }
            #expect(refused, "host \(host.name) still accepted the revoked key's token")
        }
        #expect(Date().timeIntervalSince(refusedAt) < 1.5)
        for host in hosts { host.daemon?.send(SIGTERM) }
        for host in hosts { _ = try await host.daemon?.waitForExit(timeout: Sanitizer.limit(10)) }
    }

    @Test func whileTheDatabaseIsDownEveryHostKeepsSigningAndVerifyingAndLosesNothing() async throws {
        let server = try await PostgresServer.make()
        let (hosts, _, url, base) = try await startHosts(period: "3s", server: server)
        defer { base.remove() }
        try await Task.sleep(for: .seconds(4))
        var tokens: [String] = []
        for host in hosts {
            let signed = try await host.ctl(["sign", "acme", "--user-id", "before"])
            #expect(signed.status == 0, "\(signed.standardError)")
            tokens.append(signed.standardOutput.trimmingCharacters(in: .whitespacesAndNewlines))
        }
        let acknowledged = try await server.psql(database: url, "SELECT count(*) FROM audit_log")

        try await server.stop()
        try await Task.sleep(for: .seconds(4))
        for host in hosts {
            for token in tokens {
                let verdict = try await host.ctl(["verify", "acme", token])
                #expect(verdict.status == 0, "host \(host.name) while the database is down: \(verdict.standardError)")
            }
            // A lifetime past the bound recorded before: signing would record a new one, and goes ahead without.
            let signed = try await host.ctl(["sign", "acme", "--user-id", "during", "--ttl", "30min"])
            #expect(signed.status == 0, "host \(host.name) signs while the database is down: \(signed.standardError)")
            let verdict = try await host.ctl([
                "verify", "acme", signed.standardOutput.trimmingCharacters(in: .whitespacesAndNewlines),
            ])
            #expect(verdict.status == 0, "host \(host.name): \(verdict.standardError)")
            #expect(host.daemon?.isRunning == true)
        }
        let rotated = try await hosts[0].ctl(["rotate", "acme"])
        #expect(rotated.status != 0, "no change is made while the database is down")

        try await server.start()
        let before = Int(acknowledged)!
        #expect(
            try await DaemonProcess.eventually(timeout: 20) {
                let rows = Int((try? await server.psql(database: url, "SELECT count(*) FROM audit_log")) ?? "") ?? 0
                return rows >= before + 2
            },
            "rotations resume once the database is back"
        )
        for host in hosts { host.daemon?.send(SIGTERM) }
        for host in hosts { _ = try await host.daemon?.waitForExit(timeout: Sanitizer.limit(10)) }
        #expect(try await server.psql(database: url, "SELECT count(*) FROM audit_chain_breaks") == "0")
        let kept = try await server.psql(database: url, "SELECT count(*) FROM audit_log WHERE seq <= \(before)")
        #expect(Int(kept) == before)
    }
}
#endif
