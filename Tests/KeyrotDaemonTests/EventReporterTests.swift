import InMemoryLogging
import KeyrotCore
import KeyrotDaemon
import KeyrotTestSupport
import Logging
import Testing

@Suite struct EventReporterTests {
    let clock = ManualClock(now: DaemonFixture.t0)
    let logs = InMemoryLogHandler()

    var reporter: EventReporter {
        let handler = logs
        return EventReporter(logger: Logger(label: "test") { _ in handler }, clock: clock, journal: .off)
    }

    func presented(_ keyID: String) throws -> DaemonEvent {
        DaemonEvent(
            .revokedKeyPresented,
            "revoked key \(keyID) presented",
            workspace: try WorkspaceName("acme"),
            keyID: keyID
        )
    }

    @Test func aRevokedKeyPresentedAgainAndAgainIsReportedOnceAMinute() throws {
        let reporter = self.reporter
        for _ in 0..<5 { reporter.report(try presented("acme.1")) }
        reporter.report(try presented("acme.2"))
        clock.advance(by: .seconds(59))
        reporter.report(try presented("acme.1"))
        clock.advance(by: .seconds(1))
        reporter.report(try presented("acme.1"))
        #expect(logs.entries.map { $0.metadata["keyrot.key_id"]?.description } == ["acme.1", "acme.2", "acme.1"])
        #expect(logs.entries.allSatisfy { $0.level == .warning })
    }

    @Test func aProviderJobFailingEverySecondIsReportedFiveTimesAMinuteAndTheRestCounted() throws {
        let reporter = self.reporter
        func failed(_ keyID: String) throws -> DaemonEvent {
            DaemonEvent(
                .providerCallFailed,
                "intercom could not delete the secret of key \(keyID)",
                workspace: try WorkspaceName("acme"),
                keyID: keyID
            )
        }
        for _ in 0..<60 {
            reporter.report(try failed("acme.1"))
            clock.advance(by: .seconds(1))
        }
        reporter.report(try failed("acme.2"))
        reporter.report(try failed("acme.1"))
        let messages = logs.entries.map(\.message.description)
        #expect(messages.count == 7, "\(messages)")
        #expect(messages.prefix(5).allSatisfy { $0 == "intercom could not delete the secret of key acme.1" })
        #expect(messages[5] == "intercom could not delete the secret of key acme.2")
        #expect(
            messages[6]
                == "intercom could not delete the secret of key acme.1 (55 more failures before this one were not logged)"
        )
    }

    @Test func eventsThatAreNotAuditRowsCarryTheNewestChainHash() throws {
        let reporter = self.reporter
        reporter.noteChainHead(seq: 3, hash: "c3")
        reporter.report(DaemonEvent(.started, "started"))
        let audited = AuditEntry(
            seq: 4,
            at: DaemonFixture.t0,
            workspace: try WorkspaceName("acme"),
            event: .leakFlagged,
            keyID: "acme.1",
            previousKeyID: nil,
            reason: "pasted",
            detail: nil,
            actor: AuditActor(uid: 0, pid: 1),
            chainHash: "d4"
        )
        reporter.report([audited])
        reporter.noteChainHead(seq: 2, hash: "older")  // a late report of an older row moves nothing back
        reporter.report(DaemonEvent(.stopping, "stopping"))
        #expect(logs.entries.map { $0.metadata["keyrot.audit_hash"]?.description } == ["c3", "d4", "d4"])
        #expect(logs.entries[1].level == .critical, "a leak is critical")
    }

    @Test(arguments: [
        (3, "alpha", 4000 as Int64, "3 workspaces; next rotation alpha in 1h 6min"),
        (1, "acme", 0 as Int64, "1 workspace; next rotation acme due now"),
        (2, "acme", 2_591_970, "2 workspaces; next rotation acme in 29d 23h"),
    ])
    func theStatusLineSummarizesTheSchedule(workspaces: Int, name: String, inSeconds: Int64, line: String) throws {
        let next = RotationSchedule.ScheduledRotation(
            workspace: try WorkspaceName(name),
            at: DaemonFixture.t0 + .seconds(inSeconds)
        )
        #expect(ServiceStatus.summary(workspaces: workspaces, next: next, now: DaemonFixture.t0) == line)
        #expect(
            ServiceStatus.summary(workspaces: 0, next: nil, now: DaemonFixture.t0) == "0 workspaces; nothing scheduled"
        )
    }

    @Test func theStatusLineSaysWhatIsWrongAndForgetsItOnceMended() {
        let status = ServiceStatus()
        status.ready(schedule: "1 workspace; next rotation acme in 1h")
        #expect(status.line == "1 workspace; next rotation acme in 1h")
        status.unhealthy("cannot commit to /x/keyrotd.db: the disk is full")
        status.scheduled("1 workspace; next rotation acme due now", failing: "acme: the disk is full")
        #expect(
            status.line == "store unhealthy, watchdog pings stopped: cannot commit to /x/keyrotd.db: the disk is full; "
                + "1 workspace; next rotation acme due now; scheduled work failing: acme: the disk is full"
        )
        status.healthy()
        status.scheduled("1 workspace; next rotation acme in 1h", failing: nil)
        #expect(status.line == "1 workspace; next rotation acme in 1h")
        status.reloading()
        status.reloaded(rejected: "configuration /etc/keyrotd/keyrotd.toml: [access] admin_group: there is no group")
        #expect(
            status.line.hasSuffix(
                "; last reload rejected: configuration /etc/keyrotd/keyrotd.toml: [access] admin_group: there is no group"
            )
        )
        status.stopping()
        #expect(status.line == "stopping")
    }
}
