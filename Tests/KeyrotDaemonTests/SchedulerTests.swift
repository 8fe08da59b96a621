import Foundation
import KeyrotCore
import KeyrotCrypto
import KeyrotDaemon
import KeyrotTestSupport
import Testing

@Suite struct SchedulerTests {
    let t0 = DaemonFixture.t0

    func rotationService(_ daemon: Daemon, _ fixture: DaemonFixture) -> RotationService {
        RotationService(store: daemon.store, clock: fixture.clock, actor: Daemon.selfActor, logger: fixture.logger)
    }

    /// Runs the scheduler, moving the manual clock to each deadline it sleeps until, until one lies past
    /// `t0 + seconds`; returns the deadlines (as offsets from `t0`), the last one included.
    func runScheduler(_ daemon: Daemon, _ fixture: DaemonFixture, through seconds: Int64) async throws -> [Int64] {
        let service = rotationService(daemon, fixture)
        var sleeps = fixture.clock.sleeps.makeAsyncIterator()
        let running = Task { try await service.run() }
        var deadlines: [Int64] = []
        while let deadline = await sleeps.next() {
            deadlines.append((deadline - t0).seconds)
            if deadline > t0 + .seconds(seconds) { break }
            fixture.clock.advance(to: deadline)
        }
        running.cancel()
        try await running.value
        return deadlines
    }

    @Test func theSchedulerRotatesAndRetiresOnTheInjectedClock() async throws {
        let fixture = try DaemonFixture()
        let daemon = try fixture.startDevelopmentDaemon()
        let deadlines = try await runScheduler(daemon, fixture, through: 10)

        // rotate_every 2s, grace 3s: rotations at 2, 4, 6, 8, 10; grace windows close at 5, 7, 9 (and 11, 13).
        #expect(deadlines == [2, 4, 5, 6, 7, 8, 9, 10, 11])
        #expect(
            try fixture.shell("SELECT event, count(*) FROM rotation_history GROUP BY event ORDER BY event")
                == "grace_expired|3\nrotated|5\nworkspace_created|1"
        )
        #expect(
            try fixture.shell("SELECT key_id, state FROM key_status")
                == "acme.6|active\nacme.5|grace\nacme.4|grace\nacme.3|retired\nacme.2|retired\nacme.1|retired"
        )
        let now = (t0 + .seconds(10)).secondsSinceEpoch
        #expect(try fixture.shell("SELECT count(*) FROM keys WHERE state = 'grace' AND grace_until <= \(now)") == "0")
        #expect(try fixture.shell("SELECT count(*) FROM keys WHERE state = 'retired' AND grace_until > \(now)") == "0")
        #expect(try fixture.shell("SELECT count(*) FROM audit_chain_breaks") == "0")
    }

    @Test func aGraceWindowShorterThanThePeriodEndsOnTime() async throws {
        let fixture = try DaemonFixture()
        let daemon = try fixture.startDevelopmentDaemon(
            configuration: try fixture.configurationFile("[workspace.acme]\nrotate_every = \"10s\"\ngrace = \"3s\"\n")
        )
        let deadlines = try await runScheduler(daemon, fixture, through: 25)

        #expect(deadlines == [10, 13, 20, 23, 30])
        #expect(
            try fixture.shell("SELECT key_id, state, retired_at FROM key_status")
                == "acme.3|active|\nacme.2|retired|\((t0 + .seconds(23)).iso8601)\nacme.1|retired|\((t0 + .seconds(13)).iso8601)"
        )
    }

    @Test func afterDowntimeEachMissedRotationRunsOnceAndExpiredGraceKeysRetire() throws {
        let fixture = try DaemonFixture()
        do {  // the first daemon, released (with its state directory's lock) before the restart
            let firstRun = try fixture.startDevelopmentDaemon()
            _ = rotationService(firstRun, fixture).performDueWork(at: t0 + .seconds(2))
            _ = rotationService(firstRun, fixture).performDueWork(at: t0 + .seconds(4))
        }

        // The daemon was down for 1000 s (500 periods); a restarted daemon catches up once.
        fixture.clock.advance(to: t0 + .seconds(1000))
        let restarted = try fixture.startDevelopmentDaemon()
        let next = rotationService(restarted, fixture).performDueWork(at: fixture.clock.now())
        #expect(next == t0 + .seconds(1002))
        #expect(rotationService(restarted, fixture).performDueWork(at: fixture.clock.now()) == t0 + .seconds(1002))

        #expect(
            try fixture.shell("SELECT event, count(*) FROM rotation_history GROUP BY event ORDER BY event")
                == "grace_expired|2\nrotated|3\nworkspace_created|1"
        )
        #expect(
            try fixture.shell("SELECT key_id, state FROM key_status WHERE state <> 'retired'")
                == "acme.4|active\nacme.3|grace"
        )
    }

    @Test func aRestartWithAChangedConfigurationUpdatesThePolicyAndNeverDeletes() throws {
        let fixture = try DaemonFixture()
        _ = try fixture.startDevelopmentDaemon(
            configuration: try fixture.configurationFile("[workspace.acme]\n[workspace.beta]\n")
        )
        _ = try fixture.startDevelopmentDaemon(
            configuration: try fixture.configurationFile("[workspace.acme]\nrotate_every = \"5s\"\n")
        )
        #expect(
            try fixture.shell(
                "SELECT seq, workspace, event, detail FROM rotation_history WHERE event <> 'workspace_created'"
            )
                == "3|acme|workspace_updated|rotate_every 30d -> 5s"
        )
        #expect(try fixture.shell("SELECT group_concat(name) FROM workspaces") == "acme,beta")
    }

    @Test func logsNameKeysButNeverContainKeyMaterial() throws {
        let fixture = try DaemonFixture()
        let daemon = try fixture.startDevelopmentDaemon()
        for second in stride(from: 2, through: 12, by: 1) {
            _ = rotationService(daemon, fixture).performDueWork(at: t0 + .seconds(Int64(second)))
        }
        let masterKey = try MasterKey(
            SecretBytes(copying: try Data(contentsOf: URL(fileURLWithPath: fixture.directory.path("state/master.key"))))
        )
        let rows = try fixture.shell(
            "SELECT key_id || ' ' || hex(sealed_secret) FROM keys WHERE sealed_secret IS NOT NULL"
        )
        let secrets = try rows.split(separator: "\n").map { line in
            let parts = line.split(separator: " ")
            let sealed = Data([UInt8](hex: String(parts[1])))
            return try masterKey.open(sealed, for: .key(workspace: try WorkspaceName("acme"), keyID: String(parts[0])))
                .withUnsafeBytes { Data($0) }
        }
        #expect(secrets.count == 3)
        let logText = fixture.allLogText
        #expect(logText.contains("acme.6"))
        for secret in secrets {
            for encoding in [
                secret.map { String(format: "%02x", $0) }.joined(), secret.map { String(format: "%02X", $0) }.joined(),
                secret.base64EncodedString(),
                secret.base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(
                    of: "/",
                    with: "_"
                )
                .replacingOccurrences(of: "=", with: ""),
            ] {
                #expect(!logText.contains(encoding.prefix(24)))
            }
        }
    }
}
