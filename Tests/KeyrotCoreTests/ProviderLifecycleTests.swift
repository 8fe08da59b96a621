import KeyrotCore
import Testing

/// A workspace whose verifier (Intercom) makes its secrets: every rotation goes through provider jobs, and every
/// key that stops verifying has its secret deleted at the provider.
@Suite struct ProviderLifecycleTests {
    static let intercom = try! WorkspacePolicy(
        algorithm: .hs256,
        rotateEvery: .seconds(100),
        grace: .seconds(30),
        tokenTTL: .seconds(10),
        maxTokenTTL: .seconds(60),
        provider: .intercom
    )

    static func decide(
        _ request: LifecycleRequest,
        _ current: WorkspaceState?,
        at offset: Int64 = 0
    ) throws(KeyrotError) -> LifecycleDecision {
        try KeyLifecycle.decide(request, for: Fixture.acme, current: current, at: Fixture.t0 + .seconds(offset)) {
            _ in false
        }
    }

    /// acme with its first key made at the provider: acme.1 active, Intercom's id 101.
    static func running() throws -> WorkspaceState {
        let created = try decide(.create(intercom, reason: nil), nil)
        return try decide(.providerCreated(keyID: "acme.1", providerSecretID: "101", secretLength: 43), created.result)
            .result
    }

    @Test func aNewWorkspaceWaitsForItsFirstSecretFromTheProvider() throws {
        let decision = try Self.decide(.create(Self.intercom, reason: nil), nil)
        #expect(decision.result.keys.isEmpty)
        #expect(decision.result.providerJobs.map(\.kind) == [.create])
        #expect(decision.result.pendingCreation?.keyID == "acme.1")
        #expect(decision.result.pendingCreation?.urgent == true)
        #expect(decision.audit.map(\.event) == [.workspaceCreated, .providerSecretRequested])
        // While the secret is being made, the scheduler does not ask again.
        #expect(decision.result.rotationDue(now: Fixture.t0) == .distantFuture)
        #expect(try Self.decide(.rotate(.scheduled, reason: nil), decision.result, at: 5).isEmpty)
        #expect(try Self.decide(.rotate(.manual, reason: nil), decision.result, at: 5).isEmpty)
    }

    @Test func theCreatedSecretBecomesTheActiveKeyBoundToItsProviderID() throws {
        let state = try Self.running()
        #expect(state.providerJobs.isEmpty)
        #expect(state.activeKey?.keyID == "acme.1")
        #expect(state.activeKey?.providerSecretID == "101")
        #expect(state.rotationDue(now: Fixture.t0) == Fixture.t0 + .seconds(100))
    }

    @Test func aScheduledRotationKeepsTheOldKeyActiveUntilTheNewSecretIsStored() throws {
        let requested = try Self.decide(.rotate(.scheduled, reason: nil), try Self.running(), at: 100)
        #expect(requested.audit.map(\.event) == [.providerSecretRequested])
        #expect(requested.result.activeKey?.keyID == "acme.1")
        #expect(requested.result.pendingCreation?.keyID == "acme.2")
        #expect(requested.result.pendingCreation?.urgent == false)

        let created = try Self.decide(
            .providerCreated(keyID: "acme.2", providerSecretID: "102", secretLength: 43),
            requested.result,
            at: 101
        )
        #expect(created.audit.map(\.event) == [.providerSecretCreated, .rotated])
        #expect(created.result.activeKey?.keyID == "acme.2")
        #expect(created.result.key(withID: "acme.1")?.state == .grace)
        #expect(created.result.providerJobs.isEmpty)

        // Grace over: retired here, and its secret deleted there.
        let retired = try Self.decide(.retireExpiredGrace(keyID: "acme.1"), created.result, at: 131)
        #expect(retired.result.key(withID: "acme.1")?.state == .retired)
        #expect(
            retired.result.providerJobs.map { [$0.kind.rawValue, $0.keyID, $0.providerSecretID ?? ""] } == [
                ["delete", "acme.1", "101"]
            ]
        )
        #expect(retired.result.providerJobs.first?.urgent == false)

        let deleted = try Self.decide(.providerDeleted(keyID: "acme.1"), retired.result, at: 132)
        #expect(deleted.audit.map(\.event) == [.providerSecretDeleted])
        #expect(deleted.result.providerJobs.isEmpty)
        // A report that comes twice (the answer to the first was lost) finds no job and changes nothing.
        #expect(throws: KeyrotError.providerJobNotFound(workspace: "acme", kind: "delete", keyID: "acme.1")) {
            try Self.decide(.providerDeleted(keyID: "acme.1"), deleted.result, at: 133)
        }
    }

    @Test func anEmergencyRefusesTheOldKeyAtOnceAndDeletesItThereFirst() throws {
        let decision = try Self.decide(.rotate(.emergency, reason: "leak"), try Self.running(), at: 10)
        #expect(decision.result.key(withID: "acme.1")?.state == .revoked)
        #expect(decision.result.activeKey == nil)
        #expect(decision.audit.map(\.event) == [.emergencyRotated])
        #expect(decision.audit.first?.keyID == "acme.2")
        let ordered = decision.result.providerJobs.sorted(by: ProviderJob.workOrder)
        #expect(ordered.map { "\($0.kind) \($0.keyID) \($0.urgent)" } == ["delete acme.1 true", "create acme.2 true"])
        #expect(decision.changes.contains { $0.destroysMaterial })
    }

    @Test func anEmergencyDuringAScheduledCreationMakesItUrgent() throws {
        let requested = try Self.decide(.rotate(.scheduled, reason: nil), try Self.running(), at: 100)
        let emergency = try Self.decide(.flagLeak(keyID: "acme.1", reason: "pasted"), requested.result, at: 101)
        #expect(emergency.result.key(withID: "acme.1")?.leaked == true)
        #expect(emergency.result.providerJobs.count == 2)
        #expect(emergency.result.pendingCreation?.keyID == "acme.2")
        #expect(emergency.result.pendingCreation?.urgent == true)
        #expect(emergency.audit.map(\.event) == [.leakFlagged, .emergencyRotated])
        // No key goes to grace when the secret arrives: the old one is revoked already.
        let created = try Self.decide(
            .providerCreated(keyID: "acme.2", providerSecretID: "102", secretLength: 43),
            emergency.result,
            at: 102
        )
        #expect(created.audit.map(\.event) == [.providerSecretCreated])
        #expect(created.result.keys.filter { $0.state == .grace }.isEmpty)
    }

    @Test func aShortSecretOrAnUnknownJobIsRefused() throws {
        let requested = try Self.decide(.create(Self.intercom, reason: nil), nil)
        #expect(throws: KeyrotError.secretTooShort(minimum: 32, actual: 16)) {
            try Self.decide(
                .providerCreated(keyID: "acme.1", providerSecretID: "7", secretLength: 16),
                requested.result
            )
        }
        #expect(throws: KeyrotError.providerJobNotFound(workspace: "acme", kind: "create", keyID: "acme.9")) {
            try Self.decide(
                .providerCreated(keyID: "acme.9", providerSecretID: "7", secretLength: 43),
                requested.result
            )
        }
        #expect(throws: KeyrotError.invalidProviderSecretID("1 2")) {
            try Self.decide(
                .providerCreated(keyID: "acme.1", providerSecretID: "1 2", secretLength: 43),
                requested.result
            )
        }
    }

    @Test func failuresBackOffAndRefusedCredentialsWaitForAReload() throws {
        /// The waits after 14 failures in a row of `state`'s pending creation.
        func waits(_ state: inout WorkspaceState) throws -> [Int64] {
            let keyID = try #require(state.pendingCreation?.keyID)
            var waits: [Int64] = []
            for attempt in 1...14 {
                let decision = try Self.decide(
                    .providerFailed(
                        kind: .create,
                        keyID: keyID,
                        failure: .transient("503", retryAfter: nil),
                        jitter: 1
                    ),
                    state
                )
                #expect(decision.audit.isEmpty)
                state = decision.result
                #expect(state.pendingCreation?.attempts == attempt)
                waits.append((state.pendingCreation!.notBefore - Fixture.t0).seconds)
            }
            return waits
        }
        // A manual rotation: the old key signs meanwhile, so it backs off to an hour.
        var manual = try Self.decide(.rotate(.manual, reason: nil), try Self.running()).result
        #expect(try waits(&manual) == [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 3600, 3600])
        // A new workspace's first key: nothing signs until it comes, so the step stops growing at 10 s.
        var state = try Self.decide(.create(Self.intercom, reason: nil), nil).result
        #expect(try waits(&state) == [1, 2, 4, 8, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10])

        let refused = try Self.decide(
            .providerFailed(
                kind: .create,
                keyID: "acme.1",
                failure: .unauthorized(status: 401, message: "intercom 401 unauthorized on create"),
                jitter: 0
            ),
            state
        )
        #expect(refused.result.pendingCreation?.blocked == true)
        #expect(refused.result.pendingCreation?.isDue(at: Fixture.t0 + .days(1)) == false)
        let reloaded = try Self.decide(.declare(Self.intercom, reason: nil), refused.result, at: 7)
        #expect(reloaded.result.pendingCreation?.blocked == false)
        #expect(reloaded.result.pendingCreation?.isDue(at: Fixture.t0 + .seconds(7)) == true)
    }

    @Test func aLeakedSecretsDeletionIsRetriedEverySecondHoweverOftenItFailed() throws {
        var state = try Self.decide(.rotate(.emergency, reason: "leak"), try Self.running()).result
        #expect(state.providerJob(.delete, keyID: "acme.1")?.urgent == true)
        var waits: [Int64] = []
        for (attempt, retryAfter) in ([nil, nil, nil, nil, nil, nil, 30, nil] as [Int64?]).enumerated() {
            let failure = ProviderFailure.transient("connection refused", retryAfter: retryAfter.map(TimeSpan.seconds))
            state = try Self.decide(
                .providerFailed(kind: .delete, keyID: "acme.1", failure: failure, jitter: 1),
                state,
                at: Int64(attempt) * 100
            ).result
            waits.append(
                (state.providerJob(.delete, keyID: "acme.1")!.notBefore - Fixture.t0).seconds - Int64(attempt) * 100
            )
        }
        // The provider's Retry-After still comes first.
        #expect(waits == [1, 1, 1, 1, 1, 1, 31, 1])
        #expect(state.providerJob(.delete, keyID: "acme.1")?.attempts == 8)

        // A request it refuses outright is not hammered, urgent or not.
        let rejected = try Self.decide(
            .providerFailed(kind: .delete, keyID: "acme.1", failure: .rejected(status: 422, message: nil), jitter: 1),
            state,
            at: 800
        ).result
        #expect((rejected.providerJob(.delete, keyID: "acme.1")!.notBefore - (Fixture.t0 + .seconds(800))).seconds > 60)
    }

    @Test func aRotationActivatesOnlyAPendingKeyTheProviderHolds() throws {
        // A secret imported without its provider id is one keyrotd cannot tie to Intercom's: tokens signed with it
        // might be refused there, so the schedule asks Intercom for a new secret instead of activating it.
        let unbound = try Self.decide(
            .importKey(ImportedKey(keyID: nil, secretLength: 43, activate: false, providerSecretID: nil)),
            try Self.running()
        ).result
        let scheduled = try Self.decide(.rotate(.scheduled, reason: nil), unbound, at: 100).result
        #expect(scheduled.activeKey?.keyID == "acme.1")
        #expect(scheduled.key(withID: "acme.2")?.state == .pending)
        #expect(scheduled.pendingCreation?.keyID == "acme.3")

        // Bound to the dashboard's secret, it is the next key.
        let bound = try Self.decide(
            .importKey(ImportedKey(keyID: nil, secretLength: 43, activate: false, providerSecretID: "55")),
            try Self.running()
        ).result
        let rotated = try Self.decide(.rotate(.scheduled, reason: nil), bound, at: 100).result
        #expect(rotated.activeKey?.keyID == "acme.2")
        #expect(rotated.activeKey?.providerSecretID == "55")
        #expect(rotated.pendingCreation == nil)
    }

    @Test(arguments: [
        (1, nil as Int64?, 0.0, 1 as Int64),
        (3, nil, 0.0, 2),
        (3, nil, 0.99, 4),
        (1, 30, 0.0, 31),  // Retry-After is honoured (a second more: the moment it is counted from is truncated)
        (20, nil, 0.5, 2700),  // the step stops growing at an hour; jitter draws from its upper half
        (20, nil, 1.0, 3600),
        (1, 86_400, 0.0, 3600),  // nor when the provider asks for more
    ])
    func backoffIsExponentialWithJitterBetweenOneSecondAndOneHour(
        attempt: Int,
        retryAfter: Int64?,
        jitter: Double,
        expected: Int64
    ) {
        let delay = ProviderRetry.delay(
            afterAttempt: attempt,
            retryAfter: retryAfter.map(TimeSpan.seconds),
            jitter: jitter
        )
        #expect(delay.seconds == expected)
    }

    @Test func anImportBindsADashboardSecretSoThatARotationDeletesItThere() throws {
        let created = try Self.decide(.create(Self.intercom, reason: nil), nil).result
        let imported = try Self.decide(
            .importKey(ImportedKey(keyID: nil, secretLength: 43, activate: false, providerSecretID: "55")),
            created
        )
        // The reserved id acme.1 is skipped.
        #expect(imported.result.key(withID: "acme.2")?.providerSecretID == "55")
        let revoked = try Self.decide(.revoke(keyID: "acme.2", reason: nil), imported.result, at: 1)
        #expect(revoked.result.providerJob(.delete, keyID: "acme.2")?.providerSecretID == "55")

        let plain = try Self.decide(.create(Fixture.policy(), reason: nil), nil).result
        #expect(throws: KeyrotError.noProvider(workspace: "acme")) {
            try Self.decide(
                .importKey(ImportedKey(keyID: nil, secretLength: 43, activate: false, providerSecretID: "55")),
                plain
            )
        }
    }

    @Test func aWorkspaceMovedToAProviderGetsASecretFromIt() throws {
        let plain = try Self.decide(.create(Fixture.policy(), reason: nil), nil).result
        var policy = Fixture.policy()
        policy.provider = .intercom
        let moved = try Self.decide(.declare(policy, reason: nil), plain, at: 1)
        #expect(moved.result.activeKey?.keyID == "acme.1")
        #expect(moved.result.pendingCreation?.keyID == "acme.2")
    }

    @Test func aWorkspaceThatLeavesItsProviderDropsItsJobsAndNamesWhatIsLeftThere() throws {
        let requested = try Self.decide(.flagLeak(keyID: "acme.1", reason: "x"), try Self.running(), at: 5).result
        #expect(requested.providerJobs.count == 2)
        var plain = Self.intercom
        plain.provider = nil
        let left = try Self.decide(.declare(plain, reason: nil), requested, at: 6)
        #expect(left.result.providerJobs.isEmpty)
        #expect(left.result.rotationDue(now: Fixture.t0) != .distantFuture)
        // The id reserved for the dropped creation is free again.
        #expect(left.result.activeKey?.keyID == "acme.2", "a workspace left without a key gets a generated one")
        #expect(
            left.changes.contains(
                .insertKey(
                    NewKey(keyID: "acme.2", generation: 2, algorithm: .hs256, state: .active, material: .generated)
                )
            )
        )
        #expect(left.audit.first?.detail?.contains("left at intercom, to delete there by hand: ids 101") == true)

        var hook = Self.intercom
        hook.provider = .hook(path: "/usr/lib/hook")
        let moved = try Self.decide(.declare(hook, reason: nil), try Self.running(), at: 6)
        #expect(moved.result.pendingCreation?.keyID == "acme.2", "the new provider makes the next key")
        #expect(moved.result.activeKey?.keyID == "acme.1", "the old key signs until then")
    }

    @Test func aListingSplitsIntoKeyrotdsOrphansAndSomeoneElses() {
        let listed = [
            ("100", "keyrotd acme acme.1"), ("101", "keyrotd acme acme.2"), ("7", "Messenger (web)"),
            ("8", "keyrotd acmex acmex.1"),
        ]
        let prefix = ProviderKind.secretNamePrefix(workspace: Fixture.acme)
        func ids(_ ownership: ProviderSecretOwnership, managed: Set<String>) -> [String] {
            listed.filter {
                ProviderSecretOwnership(id: $0.0, name: $0.1, namePrefix: prefix, managedIDs: managed) == ownership
            }
            .map(\.0)
        }
        // acme.1 is held by a key; acme.2's creation was never stored; the others are not keyrotd's for acme.
        #expect(ids(.orphan, managed: ["100"]) == ["101"])
        #expect(ids(.someoneElses, managed: ["100"]) == ["7", "8"])
        // An adopted dashboard secret is managed, whatever its name.
        #expect(ids(.someoneElses, managed: ["100", "7"]) == ["8"])
    }

    @Test func providerNamesParseAndOrphansAreRecognizable() throws {
        #expect(try ProviderKind(parsing: "intercom") == .intercom)
        #expect(try ProviderKind(parsing: "hook:/usr/lib/x") == .hook(path: "/usr/lib/x"))
        #expect(throws: KeyrotError.self) { try ProviderKind(parsing: "hook:relative") }
        #expect(throws: KeyrotError.self) { try ProviderKind(parsing: "stripe") }
        #expect(ProviderKind.secretName(workspace: Fixture.acme, keyID: "acme.4") == "keyrotd acme acme.4")
        #expect(throws: KeyrotError.self) {
            try WorkspacePolicy(
                algorithm: .hs512,
                rotateEvery: .days(1),
                grace: .days(1),
                tokenTTL: .hours(1),
                maxTokenTTL: .hours(1),
                provider: .intercom
            )
        }
    }
}
