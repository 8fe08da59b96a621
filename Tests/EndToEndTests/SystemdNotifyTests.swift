import Foundation
import KeyrotTestSupport
import NIOConcurrencyHelpers
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// keyrotd under a stand-in for systemd's notify socket: READY, STATUS, WATCHDOG, RELOADING and STOPPING as the
/// service manager would receive them, on the real clock.
@Suite(.serialized) struct SystemdNotifyTests {
    static let configuration = """
        [workspace.acme]
        rotate_every = "1h"
        grace = "10min"
        """

    /// What the test saw at the moment READY=1 arrived.
    struct AtReady: Sendable {
        var clientConnected = false
        var schemaVersion = ""
    }

    @Test func readyComesOnlyOnceClientsCanConnectAndTheSchemaIsMigratedThenPingsAndStops() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let socket = directory.path("state/control.sock")
        let database = directory.path("state/keyrotd.db")
        let seen = NIOLockedValueBox(AtReady())
        let daemon = try NotifiedDaemon(configuration: Self.configuration, watchdog: .seconds(2), directory: directory)
        { message in
            guard message["READY"] == "1" else { return }
            // Look at the daemon at the very moment it says READY, before it can do anything more.
            let connected = (try? RawSocket(path: socket, timeout: 1)) != nil
            let version = SQLiteShell.queryOnAnyThread("PRAGMA user_version", database: database) ?? "unreadable"
            seen.withLockedValue { $0 = AtReady(clientConnected: connected, schemaVersion: version) }
        }

        let ready = try #require(
            await daemon.message { $0["READY"] == "1" },
            "log: \(daemon.process.log) messages: \(daemon.messages.map(\.assignments))"
        )
        let atReady = seen.withLockedValue { $0 }
        #expect(atReady.clientConnected, "READY=1 came before the control socket accepted a client")
        #expect(atReady.schemaVersion == "4", "READY=1 came before the schema was migrated")
        #expect(ready.pid == daemon.process.pid, "NotifyAccess=main: READY must come from the main process")
        #expect(ready["STATUS"]?.hasPrefix("1 workspace; next rotation acme in ") == true, "\(ready.assignments)")
        let beforeReady = daemon.messages.prefix { $0["READY"] != "1" }
        #expect(beforeReady.contains { $0["EXTEND_TIMEOUT_USEC"] != nil }, "a fresh database is migrated: ask for time")

        try await Task.sleep(for: .seconds(3))
        let pings = daemon.pings(after: ready.arrived)
        #expect(pings.count >= 2, "\(daemon.messages.map(\.assignments))")
        let gap = NotifyListener.Message.longestGap([ready.arrived] + pings.map(\.arrived))
        #expect(gap < .seconds(2), "the longest time without a ping must stay under WATCHDOG_USEC")

        daemon.process.send(SIGTERM)
        let stopping = try await daemon.message(timeout: .seconds(5)) { $0["STOPPING"] == "1" }
        #expect(stopping != nil)
        #expect(try await daemon.process.waitForExit(timeout: 5) == 0, "log: \(daemon.process.log)")
        daemon.listener.close()
    }

    @Test func sighupReloadsTheConfigurationAndABadOneIsRejectedKeepingTheOldOne() async throws {
        let daemon = try NotifiedDaemon(configuration: Self.configuration)
        defer { daemon.directory.remove() }
        let ready = try #require(await daemon.message { $0["READY"] == "1" }, "log: \(daemon.process.log)")

        try (Self.configuration + "\n[workspace.beta]\nrotate_every = \"2h\"\n")
            .write(toFile: daemon.configurationFile, atomically: true, encoding: .utf8)
        let hangup = ContinuousClock.now
        daemon.process.send(SIGHUP)
        let reloading = try #require(await daemon.message { $0["RELOADING"] == "1" }, "log: \(daemon.process.log)")
        #expect(reloading.arrived > ready.arrived)
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        let monotonic = UInt64(now.tv_sec) * 1_000_000 + UInt64(now.tv_nsec) / 1000
        let stamped = try #require(reloading["MONOTONIC_USEC"].flatMap(UInt64.init), "RELOADING=1 needs MONOTONIC_USEC")
        #expect(stamped <= monotonic && monotonic - stamped < 10_000_000, "MONOTONIC_USEC is CLOCK_MONOTONIC, now")
        let readyAgain = try #require(
            await daemon.message { $0["READY"] == "1" && $0.arrived > reloading.arrived },
            "READY=1 must follow RELOADING=1"
        )
        #expect(readyAgain.arrived > hangup)
        #expect(try daemon.shell("SELECT name FROM workspaces ORDER BY name") == "acme\nbeta")

        // A broken file: rejected, the configuration in force stays, the status says so.
        try "[workspace.gamma]\nrotate_every = \"soon\"\n"
            .write(toFile: daemon.configurationFile, atomically: true, encoding: .utf8)
        daemon.process.send(SIGHUP)
        let rejected = try #require(
            await daemon.message {
                $0["READY"] == "1" && $0.arrived > readyAgain.arrived
                    && $0["STATUS"]?.contains("last reload rejected") == true
            },
            "\(daemon.messages.map(\.assignments))"
        )
        #expect(rejected["STATUS"]?.contains("[workspace.gamma] rotate_every") == true)
        #expect(try daemon.shell("SELECT name FROM workspaces ORDER BY name") == "acme\nbeta")
        let synchronous = try daemon.ctl(["reload"])
        #expect(synchronous.status == 1)
        #expect(synchronous.standardError.contains("configuration was rejected"), "\(synchronous.standardError)")
        #expect(try daemon.ctl(["workspace", "list"]).standardOutput.contains("beta"), "still serving")

        try Self.configuration.write(toFile: daemon.configurationFile, atomically: true, encoding: .utf8)
        let fixed = try daemon.ctl(["reload"])
        #expect(fixed.status == 0, "\(fixed.standardError)")
        let status = try daemon.ctl(["status", "--json"]).standardOutput
        #expect(!status.contains("rejected"), "\(status)")
        #expect(try await daemon.stop() == 0)
    }
}
