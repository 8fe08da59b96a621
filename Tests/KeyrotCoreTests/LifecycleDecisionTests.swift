import KeyrotCore
import Testing

/// Every request of the lifecycle against one workspace that has a key in every state, and every refusal.
@Suite struct LifecycleDecisionTests {
    /// acme, rotating every 100 s with 30 s of grace, at generation 7: acme.1 in grace until t0+50, acme.2 active
    /// since t0, acme.3 pending, acme.4 retired, acme.5 revoked, acme.6 revoked and leaked.
    static let acme = WorkspaceState(
        name: Fixture.acme,
        policy: Fixture.policy(rotateEvery: .seconds(100), grace: .seconds(30)),
        keys: [
            Fixture.key("acme.1", .grace, activatedAt: -100, graceUntil: 50),
            Fixture.key("acme.2", .active, activatedAt: 0),
            Fixture.key("acme.3", .pending),
            Fixture.key("acme.4", .retired),
            Fixture.key("acme.5", .revoked),
            {
                var key = Fixture.key("acme.6", .revoked)
                key.leaked = true
                return key
            }(),
        ],
        nextGeneration: 7
    )

    /// Ids of other workspaces' keys.
    static let elsewhere: Set<String> = ["beta.1", "acme.7"]

    static func decide(
        _ request: LifecycleRequest,
        at offset: Int64,
        current: WorkspaceState? = acme,
        taken: Set<String> = []
    ) throws(KeyrotError) -> LifecycleDecision {
        try KeyLifecycle.decide(request, for: Fixture.acme, current: current, at: Fixture.t0 + .seconds(offset)) {
            taken.contains($0)
        }
    }

    static func generated(_ id: String, _ generation: Int64, _ state: KeyState = .active) -> LifecycleChange {
        .insertKey(NewKey(keyID: id, generation: generation, algorithm: .hs256, state: state, material: .generated))
    }

    static func graceUntil(_ offset: Int64) -> Timestamp { Fixture.t0 + .seconds(offset) }

    /// One row: a request at a moment, the changes it makes and the audit rows it writes (event, key, previous).
    struct Case: Sendable, CustomTestStringConvertible {
        var name: String
        var request: LifecycleRequest
        var at: Int64
        var changes: [LifecycleChange]
        var audit: [String]
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        Case(
            name: "scheduled, due: the pending key is promoted, the active one gets grace",
            request: .rotate(.scheduled, reason: "scheduled"),
            at: 100,
            changes: [.demoteToGrace(keyID: "acme.2", graceUntil: graceUntil(130)), .activate(keyID: "acme.3")],
            audit: ["rotated acme.3 <- acme.2"]
        ),
        Case(name: "scheduled, not yet due", request: .rotate(.scheduled, reason: nil), at: 99, changes: [], audit: []),
        Case(
            name: "manual: now, due or not",
            request: .rotate(.manual, reason: nil),
            at: 10,
            changes: [.demoteToGrace(keyID: "acme.2", graceUntil: graceUntil(40)), .activate(keyID: "acme.3")],
            audit: ["rotated acme.3 <- acme.2"]
        ),
        Case(
            name: "emergency: the old key revoked, a fresh key (never the pending one)",
            request: .rotate(.emergency, reason: "leak"),
            at: 10,
            changes: [.revoke(keyID: "acme.2", leaked: false), generated("acme.8", 8)],
            audit: ["emergency_rotated acme.8 <- acme.2"]
        ),
        Case(
            name: "flag-leak of the active key: revoked, leaked, replaced by a fresh key",
            request: .flagLeak(keyID: "acme.2", reason: "pasted"),
            at: 10,
            changes: [.revoke(keyID: "acme.2", leaked: true), generated("acme.8", 8)],
            audit: ["leak_flagged acme.2", "emergency_rotated acme.8 <- acme.2"]
        ),
        Case(
            name: "flag-leak of a grace key",
            request: .flagLeak(keyID: "acme.1", reason: nil),
            at: 10,
            changes: [.revoke(keyID: "acme.1", leaked: true)],
            audit: ["leak_flagged acme.1"]
        ),
        Case(
            name: "flag-leak of a pending key",
            request: .flagLeak(keyID: "acme.3", reason: nil),
            at: 10,
            changes: [.revoke(keyID: "acme.3", leaked: true)],
            audit: ["leak_flagged acme.3"]
        ),
        Case(
            name: "flag-leak of a revoked key marks it leaked",
            request: .flagLeak(keyID: "acme.5", reason: nil),
            at: 10,
            changes: [.markLeaked(keyID: "acme.5")],
            audit: ["leak_flagged acme.5"]
        ),
        Case(
            name: "flag-leak of a leaked key again",
            request: .flagLeak(keyID: "acme.6", reason: nil),
            at: 10,
            changes: [],
            audit: []
        ),
        Case(
            name: "revoke a grace key",
            request: .revoke(keyID: "acme.1", reason: nil),
            at: 10,
            changes: [.revoke(keyID: "acme.1", leaked: false)],
            audit: ["revoked acme.1"]
        ),
        Case(
            name: "revoke the active key: replaced by a fresh key",
            request: .revoke(keyID: "acme.2", reason: nil),
            at: 10,
            changes: [.revoke(keyID: "acme.2", leaked: false), generated("acme.8", 8)],
            audit: ["revoked acme.2", "emergency_rotated acme.8 <- acme.2"]
        ),
        Case(
            name: "retire a grace key at its window's end",
            request: .retireExpiredGrace(keyID: "acme.1"),
            at: 50,
            changes: [.retire(keyID: "acme.1")],
            audit: ["grace_expired acme.1"]
        ),
        Case(
            name: "retire a grace key before its window's end",
            request: .retireExpiredGrace(keyID: "acme.1"),
            at: 49,
            changes: [],
            audit: []
        ),
        Case(
            name: "retire a key that is not in grace",
            request: .retireExpiredGrace(keyID: "acme.2"),
            at: 500,
            changes: [],
            audit: []
        ),
        Case(
            name: "import as pending, with the next generated id",
            request: .importKey(ImportedKey(keyID: nil, secretLength: 32, activate: false)),
            at: 10,
            changes: [
                .insertKey(
                    NewKey(keyID: "acme.8", generation: 8, algorithm: .hs256, state: .pending, material: .imported)
                )
            ],
            audit: ["key_imported acme.8"]
        ),
        Case(
            name: "import with an id of its own, activated at once",
            request: .importKey(ImportedKey(keyID: "intercom-103", secretLength: 43, activate: true)),
            at: 10,
            changes: [
                .insertKey(
                    NewKey(
                        keyID: "intercom-103",
                        generation: 7,
                        algorithm: .hs256,
                        state: .pending,
                        material: .imported
                    )
                ),
                .demoteToGrace(keyID: "acme.2", graceUntil: graceUntil(40)),
                .activate(keyID: "intercom-103"),
            ],
            audit: ["key_imported intercom-103", "rotated intercom-103 <- acme.2"]
        ),
        Case(
            name: "activate a pending key",
            request: .activate(keyID: "acme.3", reason: "operator"),
            at: 10,
            changes: [.demoteToGrace(keyID: "acme.2", graceUntil: graceUntil(40)), .activate(keyID: "acme.3")],
            audit: ["rotated acme.3 <- acme.2"]
        ),
        Case(
            name: "declare the policy it has",
            request: .declare(Fixture.policy(rotateEvery: .seconds(100), grace: .seconds(30)), reason: nil),
            at: 10,
            changes: [],
            audit: []
        ),
        Case(
            name: "change the period",
            request: .changePolicy(Fixture.policy(rotateEvery: .seconds(200), grace: .seconds(30)), reason: nil),
            at: 10,
            changes: [.setPolicy(Fixture.policy(rotateEvery: .seconds(200), grace: .seconds(30)))],
            audit: ["workspace_updated"]
        ),
        Case(
            name: "change the algorithm: a fresh key of the new algorithm at once, the old one in grace",
            request: .declare(hs512, reason: nil),
            at: 10,
            changes: [
                .setPolicy(hs512), .demoteToGrace(keyID: "acme.2", graceUntil: graceUntil(40)),
                .insertKey(
                    NewKey(keyID: "acme.8", generation: 8, algorithm: .hs512, state: .active, material: .generated)
                ),
            ],
            audit: ["workspace_updated", "rotated acme.8 <- acme.2"]
        ),
    ]

    static let hs512: WorkspacePolicy = {
        var policy = Fixture.policy(rotateEvery: .seconds(100), grace: .seconds(30))
        policy.algorithm = .hs512
        return policy
    }()

    /// acme.7 is another workspace's (an imported key's id): every generated key skips it.
    @Test(arguments: cases)
    func eachRequestMakesItsChangesAndAuditRows(_ row: Case) throws {
        let decision = try Self.decide(row.request, at: row.at, taken: Self.elsewhere)
        #expect(decision.changes == row.changes)
        #expect(decision.audit.map(Self.summary) == row.audit)
        #expect(decision.isEmpty == row.changes.isEmpty)
        #expect(decision.result.keys.filter { $0.state == .active }.count == 1, "exactly one key signs afterwards")
        for key in decision.result.keys {
            let before = Self.acme.key(withID: key.keyID)
            #expect(before.map { $0.state == key.state || $0.state.canTransition(to: key.state) } ?? true)
        }
    }

    static func summary(_ record: AuditRecord) -> String {
        [record.event.rawValue, record.keyID, record.previousKeyID.map { "<- \($0)" }].compactMap(\.self)
            .joined(separator: " ")
    }

    /// One row: a request that the rules refuse, and the refusal.
    struct Refusal: Sendable, CustomTestStringConvertible {
        var request: LifecycleRequest
        var current: WorkspaceState?
        var error: KeyrotError
        var testDescription: String { error.description }
    }

    static let refusals: [Refusal] = [
        Refusal(request: .create(.standard, reason: nil), current: acme, error: .workspaceExists("acme")),
        Refusal(request: .rotate(.manual, reason: nil), current: nil, error: .workspaceNotFound("acme")),
        Refusal(request: .changePolicy(.standard, reason: nil), current: nil, error: .workspaceNotFound("acme")),
        Refusal(
            request: .flagLeak(keyID: "acme.99", reason: nil),
            current: acme,
            error: .keyNotFound(workspace: "acme", keyID: "acme.99")
        ),
        Refusal(
            request: .revoke(keyID: "acme.4", reason: nil),
            current: acme,
            error: .keyNotRevocable(keyID: "acme.4", state: .retired)
        ),
        Refusal(
            request: .flagLeak(keyID: "acme.4", reason: nil),
            current: acme,
            error: .keyNotRevocable(keyID: "acme.4", state: .retired)
        ),
        Refusal(
            request: .revoke(keyID: "acme.5", reason: nil),
            current: acme,
            error: .keyNotRevocable(keyID: "acme.5", state: .revoked)
        ),
        Refusal(
            request: .importKey(ImportedKey(keyID: nil, secretLength: 31, activate: false)),
            current: acme,
            error: .secretTooShort(minimum: 32, actual: 31)
        ),
        Refusal(
            request: .importKey(ImportedKey(keyID: "has space", secretLength: 32, activate: false)),
            current: acme,
            error: .invalidKeyID("has space")
        ),
        Refusal(
            request: .importKey(ImportedKey(keyID: "acme.4", secretLength: 32, activate: false)),
            current: acme,
            error: .keyIDTaken("acme.4")
        ),
        Refusal(
            request: .importKey(ImportedKey(keyID: "beta.1", secretLength: 32, activate: false)),
            current: acme,
            error: .keyIDTaken("beta.1")
        ),
        Refusal(
            request: .activate(keyID: "acme.2", reason: nil),
            current: acme,
            error: .keyNotActivatable(keyID: "acme.2", why: "it is active, not pending")
        ),
        Refusal(
            request: .activate(keyID: "acme.99", reason: nil),
            current: acme,
            error: .keyNotFound(workspace: "acme", keyID: "acme.99")
        ),
        Refusal(
            request: .activate(keyID: "acme.3", reason: nil),
            current: {
                var state = acme
                state.policy = hs512
                return state
            }(),
            error: .keyNotActivatable(keyID: "acme.3", why: "it is an HS256 key and the workspace signs with HS512")
        ),
    ]

    @Test(arguments: refusals)
    func eachRefusalIsTyped(_ row: Refusal) {
        #expect(throws: row.error) { try Self.decide(row.request, at: 10, current: row.current, taken: Self.elsewhere) }
    }

    @Test(arguments: [
        LifecycleRequest.create(.standard, reason: "new customer"), .declare(.standard, reason: "new customer"),
    ])
    func aNewWorkspaceGetsItsRowAndItsFirstActiveKey(_ request: LifecycleRequest) throws {
        let decision = try Self.decide(request, at: 0, current: nil)
        #expect(decision.changes == [.createWorkspace(.standard), Self.generated("acme.1", 1)])
        #expect(decision.audit.map(Self.summary) == ["workspace_created acme.1"])
        #expect(decision.audit[0].reason == "new customer")
        #expect(decision.result.activeKey?.activatedAt == Fixture.t0)
    }

    @Test func aWorkspaceWithoutAnActiveKeyIsDueAtOnceAndGetsOne() throws {
        var state = Self.acme
        state.keys.removeAll { $0.state == .active || $0.state == .pending }
        let decision = try Self.decide(.rotate(.scheduled, reason: nil), at: 1, current: state)
        #expect(decision.changes == [Self.generated("acme.7", 7)])
        #expect(decision.audit.map(Self.summary) == ["rotated acme.7"])
    }

    @Test func aScheduledRotationSkipsAPendingKeyOfAnotherAlgorithm() throws {
        var state = Self.acme
        state.policy = Self.hs512
        let decision = try Self.decide(.rotate(.scheduled, reason: nil), at: 100, current: state)
        #expect(
            decision.changes.last
                == .insertKey(
                    NewKey(keyID: "acme.7", generation: 7, algorithm: .hs512, state: .active, material: .generated)
                )
        )
    }

    @Test func graceWaitsForTheLastTokenTheReplacedKeySigned() throws {
        var state = Self.acme
        state.keys[1].tokensValidUntil = Fixture.t0 + .seconds(400)
        let decision = try Self.decide(.rotate(.scheduled, reason: nil), at: 100, current: state)
        #expect(decision.changes.first == .demoteToGrace(keyID: "acme.2", graceUntil: Fixture.t0 + .seconds(400)))
    }

    @Test func generatedIDsSkipEveryIDTakenElsewhere() throws {
        let decision = try Self.decide(
            .rotate(.emergency, reason: nil),
            at: 10,
            taken: ["acme.7", "acme.8", "acme.10"]
        )
        #expect(decision.changes.last == Self.generated("acme.9", 9))
        #expect(decision.result.nextGeneration == 10)
    }

    @Test func theResultIsWhatTheChangesMake() throws {
        let decision = try Self.decide(.flagLeak(keyID: "acme.2", reason: nil), at: 10)
        let leaked = try #require(decision.result.key(withID: "acme.2"))
        #expect(leaked.state == .revoked && leaked.leaked)
        #expect(decision.result.activeKey?.keyID == "acme.7")
        #expect(decision.result.rotationDue(now: Fixture.t0) == Fixture.t0 + .seconds(110))
    }
}
