import Foundation
import KeyrotCore
import KeyrotCrypto
import Testing

@testable import KeyrotStore

@Suite struct RotationTests {
    let acme = StoreFixture.acme
    let t0 = StoreFixture.t0
    let admin = StoreFixture.admin

    @Test func aNewWorkspaceHasOneActiveKeyAndAnAuditRow() throws {
        let fixture = try StoreFixture()
        let entries = try fixture.store.createWorkspace(
            acme,
            policy: StoreFixture.policy(),
            at: t0,
            actor: admin,
            reason: "onboarding"
        )
        #expect(entries.map(\.event) == [.workspaceCreated])
        #expect(entries[0].keyID == "acme.1")
        #expect(entries[0].actor == admin)
        #expect(entries[0].reason == "onboarding")
        #expect(try fixture.keys() == ["acme.1": .active])
        #expect(throws: StoreError.refused(.workspaceExists("acme"))) {
            try fixture.store.createWorkspace(acme, policy: StoreFixture.policy(), at: t0, actor: admin)
        }
    }

    @Test func aScheduledRotationHappensOnlyWhenDueAndKeepsTheOldKeyInGrace() throws {
        let fixture = try StoreFixture()
        try fixture.store.createWorkspace(
            acme,
            policy: StoreFixture.policy(rotateEvery: 100, grace: 30),
            at: t0,
            actor: admin
        )

        #expect(
            try fixture.store.rotate(acme, mode: .scheduled, reason: "scheduled", at: t0 + .seconds(99), actor: admin)
                .isEmpty
        )
        let entries = try fixture.store.rotate(
            acme,
            mode: .scheduled,
            reason: "scheduled",
            at: t0 + .seconds(100),
            actor: admin
        )
        #expect(entries.map(\.event) == [.rotated])
        #expect(entries[0].keyID == "acme.2")
        #expect(entries[0].previousKeyID == "acme.1")
        #expect(try fixture.keys() == ["acme.1": .grace, "acme.2": .active])
        let old = try fixture.store.keyRing(of: acme).key(withID: "acme.1")
        #expect(old?.graceUntil == t0 + .seconds(130))
        // Asking again at the same moment does nothing: a repeated or concurrent call cannot rotate twice.
        #expect(
            try fixture.store.rotate(acme, mode: .scheduled, reason: "scheduled", at: t0 + .seconds(100), actor: admin)
                .isEmpty
        )
    }

    @Test func graceWaitsForTheLastTokenTheKeySigned() throws {
        let fixture = try StoreFixture()
        try fixture.store.createWorkspace(
            acme,
            policy: StoreFixture.policy(rotateEvery: 100, grace: 30),
            at: t0,
            actor: admin
        )
        try fixture.store.pool.write { db in
            try db.execute(
                sql: "UPDATE keys SET tokens_valid_until = ? WHERE key_id = 'acme.1'",
                arguments: [(t0 + .seconds(500)).secondsSinceEpoch]
            )
        }
        try fixture.store.rotate(acme, mode: .scheduled, reason: nil, at: t0 + .seconds(100), actor: admin)
        #expect(try fixture.store.keyRing(of: acme).key(withID: "acme.1")?.graceUntil == t0 + .seconds(500))
    }

    @Test func aScheduledRotationPromotesAPendingKey() throws {
        let fixture = try StoreFixture()
        try fixture.store.createWorkspace(acme, policy: StoreFixture.policy(), at: t0, actor: admin)
        let sealer = MasterKeySealer(masterKey: fixture.masterKey)
        _ = try fixture.store.importKey(acme, keyID: nil, secretLength: 32, activate: false, at: t0, actor: admin) {
            try sealer.sealNewSecret(algorithm: .hs256, workspace: acme, keyID: $0)
        }
        try fixture.store.rotate(acme, mode: .scheduled, reason: nil, at: t0 + .seconds(100), actor: admin)
        #expect(try fixture.keys() == ["acme.1": .grace, "acme.2": .active])
    }

    @Test func anEmergencyRotationRevokesTheOldKeyAtOnce() throws {
        let fixture = try StoreFixture()
        try fixture.store.createWorkspace(acme, policy: StoreFixture.policy(), at: t0, actor: admin)
        let entries = try fixture.store.rotate(
            acme,
            mode: .emergency,
            reason: "leaked in CI logs",
            at: t0 + .seconds(5),
            actor: admin
        )
        #expect(entries.map(\.event) == [.emergencyRotated])
        #expect(entries[0].reason == "leaked in CI logs")
        #expect(try fixture.keys() == ["acme.1": .revoked, "acme.2": .active])
        #expect(
            try fixture.shell("SELECT sealed_secret IS NULL, revoked_at FROM keys WHERE key_id = 'acme.1'")
                == "1|\((t0 + .seconds(5)).secondsSinceEpoch)"
        )
    }

    @Test func flaggingTheActiveKeyAsLeakedRevokesItAndRotatesInOneTransaction() throws {
        let fixture = try StoreFixture()
        try fixture.store.createWorkspace(acme, policy: StoreFixture.policy(), at: t0, actor: admin)
        let entries = try fixture.store.flagLeak(
            acme,
            keyID: "acme.1",
            reason: "pasted in a ticket",
            at: t0 + .seconds(1),
            actor: admin
        )
        #expect(entries.map(\.event) == [.leakFlagged, .emergencyRotated])
        #expect(entries.map(\.keyID) == ["acme.1", "acme.2"])
        #expect(entries[1].previousKeyID == "acme.1")
        #expect(try fixture.keys() == ["acme.1": .revoked, "acme.2": .active])
        #expect(try fixture.store.keyRing(of: acme).key(withID: "acme.1")?.leaked == true)
        // Flagging it again changes nothing.
        #expect(
            try fixture.store.flagLeak(acme, keyID: "acme.1", reason: nil, at: t0 + .seconds(2), actor: admin).isEmpty
        )
    }

    @Test func flaggingAGraceKeyLeavesTheActiveKeyAlone() throws {
        let fixture = try StoreFixture()
        try fixture.store.createWorkspace(acme, policy: StoreFixture.policy(), at: t0, actor: admin)
        try fixture.store.rotate(acme, mode: .scheduled, reason: nil, at: t0 + .seconds(100), actor: admin)
        let entries = try fixture.store.flagLeak(
            acme,
            keyID: "acme.1",
            reason: "old laptop",
            at: t0 + .seconds(101),
            actor: admin
        )
        #expect(entries.map(\.event) == [.leakFlagged])
        #expect(try fixture.keys() == ["acme.1": .revoked, "acme.2": .active])
    }

    @Test func revokingNeedsAKeyThatStillVerifies() throws {
        let fixture = try StoreFixture()
        try fixture.store.createWorkspace(
            acme,
            policy: StoreFixture.policy(rotateEvery: 100, grace: 10),
            at: t0,
            actor: admin
        )
        try fixture.store.rotate(acme, mode: .scheduled, reason: nil, at: t0 + .seconds(100), actor: admin)
        #expect(
            try fixture.store.retireExpiredGraceKey(acme, keyID: "acme.1", at: t0 + .seconds(109), actor: admin).isEmpty
        )
        #expect(
            try fixture.store.retireExpiredGraceKey(acme, keyID: "acme.1", at: t0 + .seconds(110), actor: admin).map(
                \.event
            ) == [.graceExpired]
        )
        #expect(throws: StoreError.refused(.keyNotRevocable(keyID: "acme.1", state: .retired))) {
            try fixture.store.revoke(acme, keyID: "acme.1", reason: nil, at: t0 + .seconds(111), actor: admin)
        }
        #expect(throws: StoreError.refused(.keyNotFound(workspace: "acme", keyID: "acme.9"))) {
            try fixture.store.revoke(acme, keyID: "acme.9", reason: nil, at: t0, actor: admin)
        }
        #expect(throws: StoreError.refused(.workspaceNotFound("nope"))) {
            try fixture.store.rotate(try WorkspaceName("nope"), mode: .emergency, reason: nil, at: t0, actor: admin)
        }
        let revoked = try fixture.store.revoke(
            acme,
            keyID: "acme.2",
            reason: "decommissioned",
            at: t0 + .seconds(112),
            actor: admin
        )
        #expect(revoked.map(\.event) == [.revoked, .emergencyRotated])
        #expect(throws: StoreError.refused(.keyNotRevocable(keyID: "acme.2", state: .revoked))) {
            try fixture.store.revoke(acme, keyID: "acme.2", reason: nil, at: t0 + .seconds(113), actor: admin)
        }
    }

    @Test func retiredAndRevokedKeysLoseTheirMaterialButKeepTheirRow() throws {
        let fixture = try StoreFixture()
        try fixture.store.createWorkspace(
            acme,
            policy: StoreFixture.policy(rotateEvery: 100, grace: 10),
            at: t0,
            actor: admin
        )
        try fixture.store.rotate(acme, mode: .scheduled, reason: nil, at: t0 + .seconds(100), actor: admin)
        try fixture.store.retireExpiredGraceKey(acme, keyID: "acme.1", at: t0 + .seconds(110), actor: admin)
        try fixture.store.rotate(acme, mode: .emergency, reason: nil, at: t0 + .seconds(120), actor: admin)
        #expect(
            try fixture.shell("SELECT key_id, state, material FROM key_status ORDER BY key_id")
                == "acme.1|retired|destroyed\nacme.2|revoked|destroyed\nacme.3|active|sealed"
        )
    }

    @Test func thePolicyIsUpdatedOnlyWhenItChanges() throws {
        let fixture = try StoreFixture()
        #expect(
            try fixture.store.ensureWorkspace(acme, policy: StoreFixture.policy(), at: t0, actor: admin).map(\.event)
                == [.workspaceCreated]
        )
        #expect(try fixture.store.ensureWorkspace(acme, policy: StoreFixture.policy(), at: t0, actor: admin).isEmpty)
        let changed = try fixture.store.ensureWorkspace(
            acme,
            policy: StoreFixture.policy(rotateEvery: 200),
            at: t0,
            actor: admin
        )
        #expect(changed.map(\.event) == [.workspaceUpdated])
        #expect(changed[0].detail == "rotate_every 1min 40s -> 3min 20s")
        #expect(try fixture.store.policy(of: acme) == StoreFixture.policy(rotateEvery: 200))
    }

    @Test func changingTheAlgorithmRotatesToAKeyOfTheNewAlgorithm() throws {
        let fixture = try StoreFixture()
        try fixture.store.createWorkspace(acme, policy: StoreFixture.policy(), at: t0, actor: admin)
        var policy = StoreFixture.policy()
        policy.algorithm = .hs512
        let entries = try fixture.store.updateWorkspace(acme, policy: policy, at: t0 + .seconds(5), actor: admin)
        #expect(entries.map(\.event) == [.workspaceUpdated, .rotated])
        #expect(entries[1].reason == "algorithm changed to HS512")
        let ring = try fixture.store.keyRing(of: acme)
        #expect(ring.key(withID: "acme.1")?.algorithm == .hs256)
        #expect(ring.key(withID: "acme.1")?.state == .grace)
        #expect(ring.signingKey?.keyID == "acme.2")
        #expect(ring.signingKey?.algorithm == .hs512)
        let sealedLength = try fixture.shell("SELECT length(sealed_secret) FROM keys WHERE key_id = 'acme.2'")
        #expect(sealedLength == "\(1 + 12 + 64 + 16)")
    }

    @Test func historyFiltersByWorkspaceAndKeepsOrder() throws {
        let fixture = try StoreFixture()
        let other = try WorkspaceName("other")
        try fixture.store.createWorkspace(acme, policy: StoreFixture.policy(), at: t0, actor: admin)
        try fixture.store.createWorkspace(other, policy: StoreFixture.policy(), at: t0, actor: admin)
        try fixture.store.rotate(acme, mode: .emergency, reason: nil, at: t0 + .seconds(1), actor: admin)
        #expect(try fixture.store.history().map(\.seq) == [1, 2, 3])
        #expect(try fixture.store.history(of: acme).map(\.event) == [.workspaceCreated, .emergencyRotated])
        #expect(try fixture.store.history(limit: 1).map(\.seq) == [3])
    }
}

extension RotationTests {
    /// Another workspace's import that takes the id acme's next generation would get: acme skips that generation,
    /// and its rotations, emergency rotations and leak flags go on.
    @Test func aKeyIDSquattedByAnotherWorkspaceBlocksNothing() throws {
        let fixture = try StoreFixture()
        let beta = try WorkspaceName("beta")
        try fixture.store.createWorkspace(acme, policy: StoreFixture.policy(), at: t0, actor: admin)
        try fixture.store.createWorkspace(beta, policy: StoreFixture.policy(), at: t0, actor: admin)
        let sealer = MasterKeySealer(masterKey: fixture.masterKey)
        _ = try fixture.store.importKey(beta, keyID: "acme.3", secretLength: 32, activate: false, at: t0, actor: admin)
        {
            try sealer.sealNewSecret(algorithm: .hs256, workspace: beta, keyID: $0)
        }
        for _ in 0..<3 {
            try fixture.store.rotate(acme, mode: .manual, reason: nil, at: t0, actor: admin)
        }
        let emergency = try fixture.store.rotate(acme, mode: .emergency, reason: "leak", at: t0, actor: admin)
        let flagged = try fixture.store.flagLeak(
            acme,
            keyID: try #require(emergency.first?.keyID),
            reason: "leak",
            at: t0,
            actor: admin
        )
        #expect(flagged.map(\.event) == [.leakFlagged, .emergencyRotated])
        #expect(
            try fixture.store.keyRing(of: acme).keys.map(\.keyID) == (1...7).filter { $0 != 3 }.map { "acme.\($0)" }
        )
        #expect(try fixture.store.keyRing(of: beta).key(withID: "acme.3")?.state == .pending)
    }
}
