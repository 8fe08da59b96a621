import KeyrotCore
import Testing

@Suite struct RotationPlanTests {
    let policies = [Fixture.acme: Fixture.policy(rotateEvery: .seconds(100))]

    @Test func nothingIsDueBeforeThePeriodEnds() {
        let plan = RotationPlan(
            policies: policies,
            keys: [Fixture.key("acme.1", .active, activatedAt: 0)],
            now: Fixture.t0 + .seconds(99)
        )
        #expect(plan.due.isEmpty)
        #expect(plan.nextDeadline == Fixture.t0 + .seconds(100))
    }

    @Test func theActiveKeyIsDueWhenItsPeriodEndsAndTheGraceItOpensIsTheNextDeadline() {
        let now = Fixture.t0 + .seconds(100)
        let plan = RotationPlan(policies: policies, keys: [Fixture.key("acme.1", .active, activatedAt: 0)], now: now)
        #expect(plan.due == [.rotate(Fixture.acme)])
        #expect(plan.nextDeadline == now + .seconds(30))  // grace 30s < rotate_every 100s
    }

    @Test func whenGraceOutlastsThePeriodTheNextRotationComesFirst() {
        let now = Fixture.t0 + .seconds(100)
        let plan = RotationPlan(
            policies: [Fixture.acme: Fixture.policy(rotateEvery: .seconds(100), grace: .seconds(500))],
            keys: [Fixture.key("acme.1", .active, activatedAt: 0)],
            now: now
        )
        #expect(plan.nextDeadline == now + .seconds(100))
    }

    @Test func theGraceDeadlineWaitsForTheKeysLastToken() {
        var key = Fixture.key("acme.1", .active, activatedAt: 0)
        key.tokensValidUntil = Fixture.t0 + .seconds(150)
        let plan = RotationPlan(policies: policies, keys: [key], now: Fixture.t0 + .seconds(100))
        #expect(plan.nextDeadline == Fixture.t0 + .seconds(150))
    }

    @Test(arguments: [101 as Int64, 250, 10_000, 100_000_000])
    func aMissedRotationRunsOnceHoweverLongTheDowntime(downtime: Int64) {
        let now = Fixture.t0 + .seconds(downtime)
        let plan = RotationPlan(policies: policies, keys: [Fixture.key("acme.1", .active, activatedAt: 0)], now: now)
        #expect(plan.due == [.rotate(Fixture.acme)])
        #expect(plan.nextDeadline == now + .seconds(30))
    }

    @Test func graceKeysAreRetiredWhenTheirWindowCloses() {
        let keys = [
            Fixture.key("acme.1", .grace, activatedAt: 0, graceUntil: 50),
            Fixture.key("acme.2", .grace, activatedAt: 40, graceUntil: 80),
            Fixture.key("acme.3", .active, activatedAt: 60),
        ]
        let plan = RotationPlan(policies: policies, keys: keys, now: Fixture.t0 + .seconds(50))
        #expect(plan.due == [.retire(Fixture.acme, keyID: "acme.1")])
        #expect(plan.nextDeadline == Fixture.t0 + .seconds(80))
    }

    @Test func aWorkspaceWithoutAnActiveKeyIsDueAtOnce() {
        let plan = RotationPlan(policies: policies, keys: [], now: Fixture.t0)
        #expect(plan.due == [.rotate(Fixture.acme)])
    }

    @Test func theNextDeadlineIsTheEarliestOfAllWorkspaces() {
        let plan = RotationPlan(
            policies: [
                Fixture.acme: Fixture.policy(rotateEvery: .seconds(100)),
                Fixture.other: Fixture.policy(rotateEvery: .seconds(30)),
            ],
            keys: [
                Fixture.key("acme.1", .active, activatedAt: 0),
                Fixture.key("other.1", .active, activatedAt: 5),
            ],
            now: Fixture.t0 + .seconds(10)
        )
        #expect(plan.due.isEmpty)
        #expect(plan.nextDeadline == Fixture.t0 + .seconds(35))
    }

    @Test func retirementsComeBeforeRotationsInWorkspaceOrder() {
        let plan = RotationPlan(
            policies: [Fixture.acme: Fixture.policy(), Fixture.other: Fixture.policy()],
            keys: [
                Fixture.key("other.1", .grace, activatedAt: 0, graceUntil: 10),
                Fixture.key("acme.1", .grace, activatedAt: 0, graceUntil: 10),
            ],
            now: Fixture.t0 + .seconds(10)
        )
        #expect(
            plan.due == [
                .retire(Fixture.acme, keyID: "acme.1"), .retire(Fixture.other, keyID: "other.1"), .rotate(Fixture.acme),
                .rotate(Fixture.other),
            ]
        )
    }

    @Test func withNoWorkspacesNothingIsEverDue() {
        let plan = RotationPlan(policies: [:], keys: [], now: Fixture.t0)
        #expect(plan.due.isEmpty)
        #expect(plan.nextDeadline == nil)
    }

    @Test func theNextRotationIsTheEarliestOneAfterTheDueWork() {
        let policies = [
            Fixture.acme: Fixture.policy(rotateEvery: .seconds(100)),
            Fixture.other: Fixture.policy(rotateEvery: .seconds(50)),
        ]
        let keys = [Fixture.key("acme.1", .active, activatedAt: 0), Fixture.key("other.1", .active, activatedAt: 10)]
        let early = RotationPlan(policies: policies, keys: keys, now: Fixture.t0 + .seconds(20))
        #expect(early.nextRotation == .init(workspace: Fixture.other, at: Fixture.t0 + .seconds(60)))
        // Once other rotates at 60, its next one is at 110: acme's at 100 comes first.
        let after = RotationPlan(policies: policies, keys: keys, now: Fixture.t0 + .seconds(60))
        #expect(after.due == [.rotate(Fixture.other)])
        #expect(after.nextRotation == .init(workspace: Fixture.acme, at: Fixture.t0 + .seconds(100)))
    }

    @Test func withoutWorkspacesNothingIsScheduled() {
        let plan = RotationPlan(policies: [:], keys: [], now: Fixture.t0)
        #expect(plan.nextRotation == nil)
        #expect(plan.nextDeadline == nil)
    }
}
