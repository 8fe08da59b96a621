import KeyrotCore
import Testing

@Suite struct PendingRevocationsTests {
    let admin = AuditActor(uid: 0, pid: 9)

    func decision(_ request: LifecycleRequest) throws -> LifecycleDecision {
        try LifecycleDecisionTests.decide(request, at: 10)
    }

    /// Holds a plain revocation of acme.1, a grace key, at t0.
    func revokeAcme1(_ pending: inout PendingRevocations) throws {
        pending.add(
            try decision(.revoke(keyID: "acme.1", reason: nil)),
            of: "acme.1",
            in: Fixture.acme,
            leaked: false,
            reason: nil,
            actor: admin,
            at: Fixture.t0
        )
    }

    @Test func aLeakFlagOfTheActiveKeyRefusesItAndRetriesWithGrowingDelays() throws {
        var pending = PendingRevocations()
        let refused = pending.add(
            try decision(.flagLeak(keyID: "acme.2", reason: "leak")),
            of: "acme.2",
            in: Fixture.acme,
            leaked: true,
            reason: "leak",
            actor: admin,
            at: Fixture.t0
        )
        #expect(refused == ["acme.2"])
        #expect(pending.refusedKeyIDs(in: Fixture.acme) == ["acme.2"])
        #expect(pending.refusedKeyIDs(in: Fixture.other).isEmpty)
        #expect(pending.due(at: Fixture.t0).isEmpty)
        #expect(pending.nextAttempt == Fixture.t0 + .seconds(1))
        var at = Fixture.t0 + .seconds(1)
        var delays: [Int64] = []
        for _ in 0..<7 {
            let entry = try #require(pending.due(at: at).first)
            #expect(entry.request == .flagLeak(keyID: "acme.2", reason: "leak"))
            pending.failed(entry, at: at)
            let next = try #require(pending.nextAttempt)
            delays.append((next - at).seconds)
            at = next
        }
        #expect(delays == [2, 4, 8, 16, 30, 30, 30])
        // Once the store works again, it is due at once, whatever the backoff.
        pending.storeRecovered(at: at + .seconds(-20))
        #expect(pending.nextAttempt == at + .seconds(-20))
        pending.settled(try #require(pending.due(at: at).first))
        #expect(pending.isEmpty && pending.nextAttempt == nil)
        #expect(pending.refusedKeyIDs(in: Fixture.acme).isEmpty)
    }

    @Test func theSameKeyAskedTwiceIsOneEntryAndALeakFlagOutranksARevocation() throws {
        var pending = PendingRevocations()
        try revokeAcme1(&pending)
        pending.add(
            try decision(.flagLeak(keyID: "acme.1", reason: "leak")),
            of: "acme.1",
            in: Fixture.acme,
            leaked: true,
            reason: "leak",
            actor: admin,
            at: Fixture.t0
        )
        #expect(pending.entries.count == 1)
        #expect(pending.entries.first?.leaked == true)
    }

    @Test func aRingWithRefusedKeysSignsAndVerifiesWithNoneOfThem() {
        let ring = KeyRing(keys: LifecycleDecisionTests.acme.keys).revoking(["acme.2", "acme.1"])
        #expect(ring.signingKey == nil)
        #expect(ring.key(withID: "acme.1")?.state == .revoked)
        #expect(ring.key(withID: "acme.3")?.state == .pending)
        #expect(KeyRing(keys: LifecycleDecisionTests.acme.keys).revoking([]).signingKey?.keyID == "acme.2")
    }

    @Test func aRevocationAddedToWhileItWasBeingStoredStaysForWhatWasAdded() throws {
        var pending = PendingRevocations()
        try revokeAcme1(&pending)
        let tried = try #require(pending.due(at: Fixture.t0 + .seconds(1)).first)
        // While the store took the plain revocation, the key was flagged as leaked too.
        pending.add(nil, of: "acme.1", in: Fixture.acme, leaked: true, reason: "leak", actor: admin, at: Fixture.t0)
        pending.settled(tried)
        #expect(pending.entries.map(\.request) == [.flagLeak(keyID: "acme.1", reason: "leak")])
        pending.settled(try #require(pending.due(at: Fixture.t0 + .seconds(1)).first))
        #expect(pending.isEmpty)
    }

    @Test func withoutADecisionOnlyTheKeyAskedForIsRefused() {
        var pending = PendingRevocations()
        let refused = pending.add(
            nil,
            of: "acme.2",
            in: Fixture.acme,
            leaked: true,
            reason: "r",
            actor: admin,
            at: Fixture.t0
        )
        #expect(refused == ["acme.2"])
    }
}
