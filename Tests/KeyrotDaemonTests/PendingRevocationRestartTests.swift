import Foundation
import KeyrotCore
import KeyrotDaemon
import KeyrotTestSupport
import Testing

/// A revocation still pending when keyrotd stops (systemd restarts it once the watchdog pings stop on a full
/// disk) is not forgotten: the next run reads it from the runtime directory, refuses the key from its first call,
/// and stores the revocation on its scheduler's first pass.
@Suite struct PendingRevocationRestartTests {
    let t0 = DaemonFixture.t0
    let acme = try! WorkspaceName("acme")

    func reason(_ result: Result<VerifiedToken, TokenFailure>) -> TokenRejection? {
        if case .failure(let failure) = result { return failure.reason }
        return nil
    }

    func start(_ fixture: DaemonFixture, runtime: String) throws -> Daemon {
        let configuration = try fixture.configurationFile("[workspace.acme]\nrotate_every = \"1h\"\n")
        return try DaemonFixture.reopening {
            try Daemon(
                options: DaemonOptions(
                    development: true,
                    stateDirectory: fixture.stateDirectory,
                    configurationFile: configuration,
                    environment: ["RUNTIME_DIRECTORY": runtime],
                    journal: .off
                ),
                clock: fixture.clock,
                logger: fixture.logger
            )
        }
    }

    @Test func aRevocationPendingWhenKeyrotdStoppedIsInForceAtOnceAfterARestartAndThenStored() throws {
        let fixture = try DaemonFixture()
        let runtime = fixture.directory.path("run")
        try FileManager.default.createDirectory(atPath: runtime, withIntermediateDirectories: true)
        let file = runtime + "/pending-revocations.json"
        let token: String
        do {
            // The earlier run: it signed a token, then could not store a leak flag of its key, and kept it.
            let earlier = try start(fixture, runtime: runtime)
            token = try earlier.tokens.sign(TokenRequest(userID: "u1"), for: acme, at: t0).token
            let decision = try earlier.store.decision(
                for: .flagLeak(keyID: "acme.1", reason: "pasted in a chat"),
                on: acme,
                at: t0 + .seconds(1)
            )
            var pending = PendingRevocations()
            pending.add(
                decision,
                of: "acme.1",
                in: acme,
                leaked: true,
                reason: "pasted in a chat",
                actor: AuditActor(uid: 0, pid: 7),
                at: t0 + .seconds(1)
            )
            try JSONEncoder().encode(pending.entries).write(to: URL(fileURLWithPath: file))
        }

        let restarted = try start(fixture, runtime: runtime)
        let now = t0 + .seconds(30)
        #expect(reason(try restarted.tokens.verify(token, for: acme, at: now)) == .revokedKey)
        #expect(throws: KeyrotError.noSigningKey(workspace: "acme")) {
            try restarted.tokens.sign(TokenRequest(userID: "u2"), for: acme, at: now)
        }
        #expect(try fixture.shell("SELECT state FROM keys WHERE key_id = 'acme.1'") == "active", "not stored yet")

        let scheduler = RotationService(
            store: restarted.store,
            clock: fixture.clock,
            actor: Daemon.selfActor,
            logger: fixture.logger,
            revocations: restarted.revocations
        )
        _ = scheduler.performDueWork(at: now)
        #expect(try fixture.shell("SELECT state, leaked FROM keys WHERE key_id = 'acme.1'") == "revoked|1")
        #expect(
            try fixture.shell("SELECT actor_uid, actor_pid, reason FROM audit_log WHERE event = 'leak_flagged'")
                == "0|7|pasted in a chat",
            "stored as it was asked, by whom it was asked"
        )
        #expect(!FileManager.default.fileExists(atPath: file))
        #expect(try restarted.tokens.sign(TokenRequest(userID: "u3"), for: acme, at: now).keyID == "acme.2")
        #expect(reason(try restarted.tokens.verify(token, for: acme, at: now)) == .revokedKey)
    }
}
