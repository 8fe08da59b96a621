import KeyrotCore
import Testing

@Suite struct KeyLifecycleTests {
    @Test(arguments: [
        (KeyState.pending, nil as Int64?, 0 as Int64, true),
        (.active, nil, 0, true),
        (.grace, 10, 9, true),
        (.grace, 10, 10, false),  // grace_until is exclusive
        (.grace, 10, 11, false),
        (.retired, nil, 0, false),
        (.revoked, nil, 0, false),
    ])
    func whichKeysVerifyAtAMoment(state: KeyState, graceUntil: Int64?, at offset: Int64, verifies: Bool) {
        let key = Fixture.key("acme.1", state, activatedAt: 0, graceUntil: graceUntil)
        #expect(key.verifies(at: Fixture.t0 + .seconds(offset)) == verifies)
    }

    @Test(arguments: [
        (nil as Int64?, 30 as Int64),  // no token recorded: the grace period
        (10, 30),  // tokens end before the grace period does
        (45, 45),  // a token outlives the grace period: grace waits for it
    ])
    func graceNeverEndsBeforeTheLastTokenExpires(tokensValidUntil: Int64?, expectedEnd: Int64) {
        let end = KeyLifecycle.graceUntil(
            now: Fixture.t0,
            grace: .seconds(30),
            tokensValidUntil: tokensValidUntil.map { Fixture.t0 + .seconds($0) }
        )
        #expect(end == Fixture.t0 + .seconds(expectedEnd))
    }

    @Test func onlyTheLifecycleTransitionsAreAllowed() {
        let allowed: Set<String> = [
            "pending>active", "active>grace", "grace>retired", "pending>revoked", "active>revoked", "grace>revoked",
        ]
        for from in KeyState.allCases {
            for to in KeyState.allCases {
                #expect(from.canTransition(to: to) == allowed.contains("\(from)>\(to)"), "\(from) -> \(to)")
            }
        }
    }

    @Test func materialIsKeptOnlyWhileAKeyMayVerify() {
        #expect(KeyState.allCases.filter(\.keepsMaterial) == [.pending, .active, .grace])
    }

    @Test func keyIDsAreReadableAndCarryTheGeneration() {
        #expect(KeyLifecycle.keyID(workspace: Fixture.acme, generation: 17) == "acme.17")
    }

    @Test func theKeyRingSignsWithTheActiveKeyAndVerifiesTheWindow() {
        let ring = KeyRing(keys: [
            Fixture.key("acme.1", .retired, activatedAt: 0),
            Fixture.key("acme.2", .grace, activatedAt: 100, graceUntil: 230),
            Fixture.key("acme.3", .active, activatedAt: 200),
            Fixture.key("acme.4", .pending),
            Fixture.key("acme.5", .revoked),
        ])
        #expect(ring.signingKey?.keyID == "acme.3")
        #expect(
            ring.keys.filter { $0.verifies(at: Fixture.t0 + .seconds(229)) }.map(\.keyID) == [
                "acme.2", "acme.3", "acme.4",
            ]
        )
        #expect(ring.keys.filter { $0.verifies(at: Fixture.t0 + .seconds(230)) }.map(\.keyID) == ["acme.3", "acme.4"])
        #expect(ring.key(withID: "acme.5")?.state == .revoked)
        #expect(KeyRing(keys: []).signingKey == nil)
    }
}
