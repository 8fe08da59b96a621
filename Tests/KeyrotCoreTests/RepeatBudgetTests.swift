import KeyrotCore
import Testing

@Suite struct RepeatBudgetTests {
    func verdicts(_ budget: inout RepeatBudget, _ events: [(String, Int64)]) -> [RepeatBudget.Verdict] {
        events.map { subject, second in budget.admit(subject, at: Fixture.t0 + .seconds(second)) }
    }

    @Test func aFewPassPerIntervalAndTheNextToPassSaysHowManyWereHeldBack() {
        var budget = RepeatBudget(allowed: 2, per: .seconds(60))
        let events = [("uid 7", 0 as Int64), ("uid 7", 1), ("uid 7", 2), ("uid 7", 3), ("uid 7", 59), ("uid 7", 60)]
        #expect(
            verdicts(&budget, events) == [
                .pass(suppressedBefore: 0), .pass(suppressedBefore: 0), .suppress, .suppress, .suppress,
                .pass(suppressedBefore: 3),
            ]
        )
    }

    @Test func subjectsHaveBudgetsOfTheirOwn() {
        var budget = RepeatBudget(allowed: 1, per: .seconds(60))
        #expect(
            verdicts(&budget, [("uid 7", 0), ("uid 8", 0), ("uid 7", 1)]) == [
                .pass(suppressedBefore: 0), .pass(suppressedBefore: 0), .suppress,
            ]
        )
    }

    @Test func endedWindowsReportWhatTheyHeldBackOnceAndAreForgotten() {
        var budget = RepeatBudget(allowed: 1, per: .seconds(60))
        _ = verdicts(&budget, [("uid 7", 0), ("uid 7", 1), ("uid 7", 2), ("uid 8", 30), ("uid 9", 10), ("uid 9", 11)])
        #expect(budget.endedWindows(at: Fixture.t0 + .seconds(59)).isEmpty)
        #expect(
            budget.endedWindows(at: Fixture.t0 + .seconds(75)) == [
                .init(subject: "uid 7", count: 2), .init(subject: "uid 9", count: 1),
            ]
        )
        #expect(budget.endedWindows(at: Fixture.t0 + .seconds(200)).isEmpty)
        // Forgotten: the next event starts afresh, with nothing to report.
        #expect(budget.admit("uid 7", at: Fixture.t0 + .seconds(201)) == .pass(suppressedBefore: 0))
    }

    @Test func aClockSteppedBackStartsANewWindow() {
        var budget = RepeatBudget(allowed: 1, per: .seconds(60))
        #expect(
            verdicts(&budget, [("uid 7", 0), ("uid 7", 1), ("uid 7", -3600)]) == [
                .pass(suppressedBefore: 0), .suppress, .pass(suppressedBefore: 1),
            ]
        )
    }

    @Test func memoryStaysBoundedAndWhatFindsNoRoomIsCountedAsOthers() {
        var budget = RepeatBudget(allowed: 1, per: .seconds(60), capacity: 2)
        let events = [("a", 0 as Int64), ("b", 0), ("c", 1), ("d", 2), ("c", 61)]
        #expect(
            verdicts(&budget, events) == [
                .pass(suppressedBefore: 0), .pass(suppressedBefore: 0), .suppress, .suppress,
                .pass(suppressedBefore: 0),
            ]
        )
        #expect(budget.endedWindows(at: Fixture.t0 + .seconds(200)) == [.init(subject: "other peers", count: 2)])
    }

    /// Whether each (subject, seconds after t0) passes, in order: one an interval is what the event reporter asks
    /// for `revoked_key_presented` and `rotation_failed`.
    func passes(_ throttle: inout RepeatBudget, _ events: [(String, Int64)]) -> [Bool] {
        events.map { subject, second in throttle.admit(subject, at: Fixture.t0 + .seconds(second)) != .suppress }
    }

    @Test func aSubjectGoesOutOncePerInterval() {
        var throttle = RepeatBudget(allowed: 1, per: .seconds(60))
        let events = [("acme.1", 0 as Int64), ("acme.1", 1), ("acme.1", 59), ("acme.1", 60), ("acme.1", 61)]
        #expect(passes(&throttle, events) == [true, false, false, true, false])
    }

    @Test func subjectsAreThrottledApart() {
        var throttle = RepeatBudget(allowed: 1, per: .seconds(60))
        #expect(passes(&throttle, [("acme.1", 0), ("acme.2", 0), ("acme.2", 5)]) == [true, true, false])
    }

    @Test func aClockSteppedBackDoesNotSilenceASubject() {
        var throttle = RepeatBudget(allowed: 1, per: .seconds(60))
        #expect(passes(&throttle, [("acme.1", 0), ("acme.1", -3600)]) == [true, true])
    }

    @Test func memoryStaysBoundedAndForgottenSubjectsGoOutAgain() {
        var throttle = RepeatBudget(allowed: 1, per: .seconds(60), capacity: 3)
        // Full of live subjects, a fourth is refused rather than grow; once they expire they are dropped.
        let events = [("a", 0 as Int64), ("b", 0), ("c", 0), ("d", 1), ("d", 60), ("a", 61)]
        #expect(passes(&throttle, events) == [true, true, true, false, true, true])
    }
}
