import KeyrotCore
import Testing

/// The schedule against the lifecycle: work taken from it is carried out with ``KeyLifecycle/decide`` on in-memory
/// workspaces, whose new states go back into it, as the daemon's store and scheduler do.
@Suite struct RotationScheduleTests {
    /// Workspaces in memory and their schedule.
    struct World {
        var states: [WorkspaceName: WorkspaceState]
        var schedule: RotationSchedule
        var order: UInt64 = 1

        init(_ keys: [KeyRecord], policies: [WorkspaceName: WorkspacePolicy], now: Timestamp) {
            states = Dictionary(
                uniqueKeysWithValues: policies.map { name, policy in
                    let own = keys.filter { $0.workspace == name }
                    return (name, WorkspaceState(name: name, policy: policy, keys: own, nextGeneration: 10))
                }
            )
            schedule = RotationSchedule(policies: policies, liveKeys: keys, order: 0, now: now)
        }

        /// Takes what is due at `now`, carries it out and gives every workspace back; returns what was due.
        mutating func pass(at now: Timestamp) throws -> [RotationSchedule.Action] {
            let due = schedule.takeDue(at: now)
            for action in due {
                let (workspace, request): (WorkspaceName, LifecycleRequest) =
                    switch action {
                    case .rotate(let name): (name, .rotate(.scheduled, reason: nil))
                    case .retire(let name, let keyID): (name, .retireExpiredGrace(keyID: keyID))
                    }
                let decision = try KeyLifecycle.decide(request, for: workspace, current: states[workspace], at: now) {
                    _ in false
                }
                states[workspace] = decision.result
                order += 1
                schedule.update(decision.result, order: order, now: now)
            }
            return due
        }
    }

    let policies = [Fixture.acme: Fixture.policy(rotateEvery: .seconds(100))]

    @Test func nothingIsDueBeforeThePeriodEnds() throws {
        var world = World([Fixture.key("acme.1", .active, activatedAt: 0)], policies: policies, now: Fixture.t0)
        #expect(try world.pass(at: Fixture.t0 + .seconds(99)).isEmpty)
        #expect(world.schedule.nextDeadline() == Fixture.t0 + .seconds(100))
    }

    @Test func theActiveKeyIsDueWhenItsPeriodEndsAndTheGraceItOpensIsTheNextDeadline() throws {
        let now = Fixture.t0 + .seconds(100)
        var world = World([Fixture.key("acme.1", .active, activatedAt: 0)], policies: policies, now: Fixture.t0)
        #expect(try world.pass(at: now) == [.rotate(Fixture.acme)])
        #expect(world.schedule.nextDeadline() == now + .seconds(30))  // grace 30s < rotate_every 100s
    }

    @Test func whenGraceOutlastsThePeriodTheNextRotationComesFirst() throws {
        let now = Fixture.t0 + .seconds(100)
        var world = World(
            [Fixture.key("acme.1", .active, activatedAt: 0)],
            policies: [Fixture.acme: Fixture.policy(rotateEvery: .seconds(100), grace: .seconds(500))],
            now: Fixture.t0
        )
        _ = try world.pass(at: now)
        #expect(world.schedule.nextDeadline() == now + .seconds(100))
    }

    @Test func theGraceDeadlineWaitsForTheKeysLastToken() throws {
        var key = Fixture.key("acme.1", .active, activatedAt: 0)
        key.tokensValidUntil = Fixture.t0 + .seconds(150)
        var world = World([key], policies: policies, now: Fixture.t0)
        _ = try world.pass(at: Fixture.t0 + .seconds(100))
        #expect(world.schedule.nextDeadline() == Fixture.t0 + .seconds(150))
    }

    @Test(arguments: [101 as Int64, 250, 10_000, 100_000_000])
    func aMissedRotationRunsOnceHoweverLongTheDowntime(downtime: Int64) throws {
        let now = Fixture.t0 + .seconds(downtime)
        var world = World([Fixture.key("acme.1", .active, activatedAt: 0)], policies: policies, now: now)
        #expect(try world.pass(at: now) == [.rotate(Fixture.acme)])
        #expect(try world.pass(at: now).isEmpty)
        #expect(world.schedule.nextDeadline() == now + .seconds(30))
    }

    @Test func graceKeysAreRetiredWhenTheirWindowCloses() throws {
        let keys = [
            Fixture.key("acme.1", .grace, activatedAt: 0, graceUntil: 50),
            Fixture.key("acme.2", .grace, activatedAt: 40, graceUntil: 80),
            Fixture.key("acme.3", .active, activatedAt: 60),
        ]
        var world = World(keys, policies: policies, now: Fixture.t0)
        #expect(try world.pass(at: Fixture.t0 + .seconds(50)) == [.retire(Fixture.acme, keyID: "acme.1")])
        #expect(world.schedule.nextDeadline() == Fixture.t0 + .seconds(80))
    }

    @Test func aWorkspaceWithoutAnActiveKeyIsDueAtOnce() throws {
        var world = World([], policies: policies, now: Fixture.t0)
        #expect(try world.pass(at: Fixture.t0) == [.rotate(Fixture.acme)])
        #expect(world.states[Fixture.acme]?.activeKey != nil)
    }

    @Test func theNextDeadlineIsTheEarliestOfAllWorkspaces() throws {
        var world = World(
            [Fixture.key("acme.1", .active, activatedAt: 0), Fixture.key("other.1", .active, activatedAt: 5)],
            policies: [
                Fixture.acme: Fixture.policy(rotateEvery: .seconds(100)),
                Fixture.other: Fixture.policy(rotateEvery: .seconds(30)),
            ],
            now: Fixture.t0
        )
        #expect(try world.pass(at: Fixture.t0 + .seconds(10)).isEmpty)
        #expect(world.schedule.nextDeadline() == Fixture.t0 + .seconds(35))
    }

    @Test func retirementsComeBeforeRotationsInWorkspaceOrder() throws {
        let world = World(
            [
                Fixture.key("other.1", .grace, activatedAt: 0, graceUntil: 10),
                Fixture.key("acme.1", .grace, activatedAt: 0, graceUntil: 10),
            ],
            policies: [Fixture.acme: Fixture.policy(), Fixture.other: Fixture.policy()],
            now: Fixture.t0
        )
        var schedule = world.schedule
        #expect(
            schedule.takeDue(at: Fixture.t0 + .seconds(10)) == [
                .retire(Fixture.acme, keyID: "acme.1"), .retire(Fixture.other, keyID: "other.1"), .rotate(Fixture.acme),
                .rotate(Fixture.other),
            ]
        )
    }

    @Test func withoutWorkspacesNothingIsScheduled() {
        var schedule = RotationSchedule(policies: [:], liveKeys: [], order: 0, now: Fixture.t0)
        #expect(schedule.takeDue(at: Fixture.t0).isEmpty)
        #expect(schedule.nextDeadline() == nil)
        #expect(schedule.nextRotation() == nil)
    }

    @Test func theNextRotationIsTheEarliestOneAfterTheDueWork() throws {
        var world = World(
            [Fixture.key("acme.1", .active, activatedAt: 0), Fixture.key("other.1", .active, activatedAt: 10)],
            policies: [
                Fixture.acme: Fixture.policy(rotateEvery: .seconds(100)),
                Fixture.other: Fixture.policy(rotateEvery: .seconds(50)),
            ],
            now: Fixture.t0
        )
        #expect(world.schedule.nextRotation() == .init(workspace: Fixture.other, at: Fixture.t0 + .seconds(60)))
        // Once other rotates at 60, its next one is at 110: acme's at 100 comes first.
        #expect(try world.pass(at: Fixture.t0 + .seconds(60)) == [.rotate(Fixture.other)])
        #expect(world.schedule.nextRotation() == .init(workspace: Fixture.acme, at: Fixture.t0 + .seconds(100)))
    }

    @Test func workTakenLeavesTheQueueUntilItIsGivenBackOrRetried() {
        var schedule = RotationSchedule(
            policies: policies,
            liveKeys: [Fixture.key("acme.1", .active, activatedAt: 0)],
            order: 0,
            now: Fixture.t0
        )
        let due = Fixture.t0 + .seconds(100)
        #expect(schedule.takeDue(at: due) == [.rotate(Fixture.acme)])
        #expect(schedule.takeDue(at: due).isEmpty, "handed out once")
        #expect(schedule.nextDeadline() == nil)
        schedule.retry(Fixture.acme, at: due + .seconds(5))
        #expect(schedule.nextDeadline() == due + .seconds(5))
        #expect(schedule.takeDue(at: due + .seconds(5)) == [.rotate(Fixture.acme)], "the same work, again")
    }

    @Test func aChangeOlderThanTheOneHeldIsIgnored() throws {
        var schedule = RotationSchedule(policies: policies, liveKeys: [], order: 5, now: Fixture.t0)
        let rotated = try KeyLifecycle.decide(
            .create(Fixture.policy(rotateEvery: .seconds(100)), reason: nil),
            for: Fixture.acme,
            current: nil,
            at: Fixture.t0 + .seconds(50)
        ) { _ in false }.result
        schedule.update(rotated, order: 7, now: Fixture.t0)
        let stale = WorkspaceState(name: Fixture.acme, policy: policies[Fixture.acme]!, keys: [], nextGeneration: 1)
        schedule.update(stale, order: 6, now: Fixture.t0)
        #expect(schedule.nextDeadline() == Fixture.t0 + .seconds(150), "order 7's state stays")
        schedule.update(stale, order: 5, now: Fixture.t0)
        #expect(schedule.nextRotation()?.at == Fixture.t0 + .seconds(150))
    }

    /// A wake-up at 100 000 workspaces takes only what is due: each of 1 000 passes finds its one workspace.
    @Test func aPassTakesWhatIsDueAndNoMore() throws {
        var policies: [WorkspaceName: WorkspacePolicy] = [:]
        var keys: [KeyRecord] = []
        for index in 0..<100_000 {
            let name = try WorkspaceName("w\(index)")
            policies[name] = Fixture.policy(rotateEvery: .seconds(100_000))
            keys.append(
                KeyRecord(
                    workspace: name,
                    keyID: "w\(index).1",
                    state: .active,
                    createdAt: Fixture.t0,
                    activatedAt: Fixture.t0 + .seconds(Int64(index))
                )
            )
        }
        var schedule = RotationSchedule(policies: policies, liveKeys: keys, order: 0, now: Fixture.t0)
        for index in 0..<1000 {
            let due = schedule.takeDue(at: Fixture.t0 + .seconds(100_000 + Int64(index)))
            #expect(due == [.rotate(try WorkspaceName("w\(index)"))])
        }
    }
}
