import Foundation
import KeyrotCore
import KeyrotDaemon
import KeyrotStore
import Testing

@Suite struct TokenServiceTests {
    let t0 = DaemonFixture.t0
    let acme = try! WorkspaceName("acme")

    func reason(_ result: Result<VerifiedToken, TokenFailure>) -> TokenRejection? {
        if case .failure(let failure) = result { return failure.reason }
        return nil
    }

    @Test func aTokenVerifiesThroughGraceAndStopsWhenTheWindowCloses() throws {
        let fixture = try DaemonFixture()
        let daemon = try fixture.startDevelopmentDaemon(
            configuration: try fixture.configurationFile(
                "[workspace.acme]\nrotate_every = \"100s\"\ngrace = \"30s\"\ntoken_ttl = \"60s\"\nclock_skew = \"0s\"\n"
            )
        )
        let signed = try daemon.tokens.sign(TokenRequest(userID: "u1"), for: acme, at: t0 + .seconds(95))
        #expect(signed.keyID == "acme.1")
        #expect(signed.expiresAt == t0 + .seconds(155))

        // A scheduled rotation at 100: new tokens come from acme.2; acme.1's token still verifies in its grace,
        // which lasts until max(100 + 30, 155 + slack) = 215.
        _ = RotationService(store: daemon.store, clock: fixture.clock, actor: Daemon.selfActor, logger: fixture.logger)
            .performDueWork(at: t0 + .seconds(100))
        #expect(try daemon.tokens.sign(TokenRequest(userID: "u2"), for: acme, at: t0 + .seconds(100)).keyID == "acme.2")
        #expect(try daemon.tokens.verify(signed.token, for: acme, at: t0 + .seconds(154)).get().keyID == "acme.1")
        #expect(reason(try daemon.tokens.verify(signed.token, for: acme, at: t0 + .seconds(155))) == .expired)
        #expect(reason(try daemon.tokens.verify(signed.token, for: acme, at: t0 + .seconds(215))) == .retiredKey)
    }

    @Test func graceLastsAsLongAsTheLongestTokenTheKeySigned() throws {
        let fixture = try DaemonFixture()
        let daemon = try fixture.startDevelopmentDaemon()  // rotate_every 2s, grace 3s, token_ttl 1h
        let token = try daemon.tokens.sign(TokenRequest(userID: "u"), for: acme, at: t0)
        #expect(token.expiresAt == t0 + .hours(1))
        try daemon.store.rotate(acme, mode: .scheduled, reason: nil, at: t0 + .seconds(2), actor: Daemon.selfActor)
        let graceUntil = try daemon.store.keyRing(of: acme).key(withID: "acme.1")?.graceUntil
        #expect(graceUntil == t0 + .hours(1) + TokenService.watermarkSlack)
        #expect(try daemon.tokens.verify(token.token, for: acme, at: t0 + .seconds(3599)).get().keyID == "acme.1")
    }

    @Test func afterAnEmergencyRotationTheOldKeysTokensFailAsRevoked() throws {
        let fixture = try DaemonFixture()
        let daemon = try fixture.startDevelopmentDaemon()
        let token = try daemon.tokens.sign(TokenRequest(userID: "u"), for: acme, at: t0)
        try daemon.store.rotate(acme, mode: .emergency, reason: "leaked", at: t0 + .seconds(1), actor: Daemon.selfActor)
        #expect(reason(try daemon.tokens.verify(token.token, for: acme, at: t0 + .seconds(1))) == .revokedKey)
        let fresh = try daemon.tokens.sign(TokenRequest(userID: "u"), for: acme, at: t0 + .seconds(1))
        #expect(fresh.keyID == "acme.2")
        #expect(try daemon.tokens.verify(fresh.token, for: acme, at: t0 + .seconds(1)).get().keyID == "acme.2")
    }

    @Test func anUnknownWorkspaceIsAnError() throws {
        let fixture = try DaemonFixture()
        let daemon = try fixture.startDevelopmentDaemon()
        #expect(throws: StoreError.refused(.workspaceNotFound("nope"))) {
            try daemon.tokens.sign(TokenRequest(userID: "u"), for: try WorkspaceName("nope"), at: t0)
        }
    }

    @Test func aChangeToOneWorkspaceLeavesTheOthersKeysInMemory() throws {
        let fixture = try DaemonFixture()
        let daemon = try fixture.startDevelopmentDaemon(
            configuration: try fixture.configurationFile("[workspace.acme]\n[workspace.beta]\n")
        )
        let beta = try WorkspaceName("beta")
        let request = TokenRequest(userID: "u", ttl: .seconds(30))
        for workspace in [acme, beta] {
            // The first token records its key's bound (a write to the workspace); the second reads the keys again
            // and, covered by that bound, writes nothing: the keys stay in memory.
            _ = try daemon.tokens.sign(TokenRequest(userID: "u", ttl: .seconds(60)), for: workspace, at: t0)
            _ = try daemon.tokens.sign(request, for: workspace, at: t0)
        }
        // Without blocking, a token comes only from keys in memory.
        _ = try daemon.tokens.sign(request, for: acme, at: t0, mayBlock: false)
        try daemon.store.rotate(beta, mode: .emergency, reason: nil, at: t0, actor: Daemon.selfActor)
        _ = try daemon.tokens.sign(request, for: acme, at: t0, mayBlock: false)  // still, after beta's rotation
        #expect(throws: BlockingRequired.self, "beta's keys must be read again") {
            try daemon.tokens.sign(request, for: beta, at: t0, mayBlock: false)
        }
        try daemon.store.rotate(acme, mode: .manual, reason: nil, at: t0, actor: Daemon.selfActor)
        #expect(throws: BlockingRequired.self, "acme's own change drops its keys") {
            try daemon.tokens.sign(request, for: acme, at: t0, mayBlock: false)
        }
    }
}
