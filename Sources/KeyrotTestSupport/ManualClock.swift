import Foundation
import KeyrotCore
import NIOConcurrencyHelpers

/// A wall clock that moves only when a test says so; sleepers wake when it passes their deadline.
///
/// `sleeps` yields each deadline a sleeper starts waiting for, so a test can wait until the code under test
/// is idle before it moves time on. No test needs to sleep for real.
public final class ManualClock: WallClock {
    private struct Sleeper {
        let deadline: Timestamp
        let continuation: CheckedContinuation<Void, any Error>
    }

    private struct State {
        var now: Timestamp
        var sleepers: [UUID: Sleeper] = [:]
    }

    private let state: NIOLockedValueBox<State>
    private let sleepStarted: AsyncStream<Timestamp>.Continuation
    /// The deadline of every `sleep(until:)` call that had to wait, in call order.
    public let sleeps: AsyncStream<Timestamp>

    public init(now: Timestamp) {
        state = NIOLockedValueBox(State(now: now))
        (sleeps, sleepStarted) = AsyncStream.makeStream()
    }

    public func now() -> Timestamp {
        state.withLockedValue { $0.now }
    }

    /// Moves the clock to `time` (never backwards) and wakes every sleeper whose deadline has come.
    public func advance(to time: Timestamp) {
        let woken = state.withLockedValue { state -> [Sleeper] in
            state.now = max(state.now, time)
            let due = state.sleepers.filter { $0.value.deadline <= state.now }
            for id in due.keys { state.sleepers[id] = nil }
            return Array(due.values)
        }
        for sleeper in woken { sleeper.continuation.resume() }
    }

    /// Moves the clock on by `span`.
    public func advance(by span: TimeSpan) {
        advance(to: now() + span)
    }

    public func sleep(until deadline: Timestamp) async throws {
        let id = UUID()
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                let waits = state.withLockedValue { state -> Bool in
                    guard deadline > state.now, !Task.isCancelled else { return false }
                    state.sleepers[id] = Sleeper(deadline: deadline, continuation: continuation)
                    return true
                }
                if waits {
                    sleepStarted.yield(deadline)
                } else if Task.isCancelled {
                    continuation.resume(throwing: CancellationError())
                } else {
                    continuation.resume()
                }
            }
        } onCancel: {
            let sleeper = state.withLockedValue { $0.sleepers.removeValue(forKey: id) }
            sleeper?.continuation.resume(throwing: CancellationError())
        }
    }
}
