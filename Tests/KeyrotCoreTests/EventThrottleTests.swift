import KeyrotCore
import Testing

@Suite struct EventThrottleTests {
    /// What `throttle` decides for each (subject, seconds after t0), in order.
    func decisions(_ throttle: inout EventThrottle, _ events: [(String, Int64)]) -> [Bool] {
        events.map { subject, second in throttle.allows(subject, at: Fixture.t0 + .seconds(second)) }
    }

    @Test func aSubjectGoesOutOncePerInterval() {
        var throttle = EventThrottle(interval: .seconds(60))
        let events = [("acme.1", 0 as Int64), ("acme.1", 1), ("acme.1", 59), ("acme.1", 60), ("acme.1", 61)]
        #expect(decisions(&throttle, events) == [true, false, false, true, false])
    }

    @Test func subjectsAreThrottledApart() {
        var throttle = EventThrottle(interval: .seconds(60))
        #expect(decisions(&throttle, [("acme.1", 0), ("acme.2", 0), ("acme.2", 5)]) == [true, true, false])
    }

    @Test func aClockSteppedBackDoesNotSilenceASubject() {
        var throttle = EventThrottle(interval: .seconds(60))
        #expect(decisions(&throttle, [("acme.1", 0), ("acme.1", -3600)]) == [true, true])
    }

    @Test func memoryStaysBoundedAndForgottenSubjectsGoOutAgain() {
        var throttle = EventThrottle(interval: .seconds(60), capacity: 3)
        // Full of live subjects, a fourth is refused rather than grow; once they expire they are dropped.
        let events = [("a", 0 as Int64), ("b", 0), ("c", 0), ("d", 1), ("d", 60), ("a", 61)]
        #expect(decisions(&throttle, events) == [true, true, true, false, true, true])
    }
}
