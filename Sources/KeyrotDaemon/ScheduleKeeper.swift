import KeyrotCore
import KeyrotStore
import NIOConcurrencyHelpers

/// The daemon's rotation schedule, shared by the scheduler (which takes due work from it), the store's change feed
/// (which keeps it current, workspace by workspace) and the status line.
///
/// - Important: The whole schedule is read from the store once, at the first use, and again only after
///   ``replanFully()`` (a reload); every other change reaches it as one workspace's new state. A change that moves
///   the next deadline wakes the scheduler.
public final class ScheduleKeeper: Sendable {
    private let store: KeyStore
    private let clock: any WallClock
    private let wake: WakeSignal
    /// A pthread mutex (`NIOLockedValueBox`), not `Synchronization.Mutex`, whose futex ThreadSanitizer cannot see.
    private let state = NIOLockedValueBox(State.unplanned)

    /// Where the schedule is: not read yet (or dropped by a reload), being read, or current.
    private enum State {
        case unplanned
        /// Being read from the store; the changes committed meanwhile, to put in it once it is read.
        case planning([CommittedChange])
        case planned(RotationSchedule)

        /// Runs `body` on the planned schedule in place (never on a copy: with many workspaces a copy is costly).
        mutating func withPlanned<T>(_ body: (inout RotationSchedule) -> T) -> T? {
            guard case .planned(var schedule) = self else { return nil }
            self = .unplanned  // lets go of the enum's reference, so `schedule` is the only one and changes in place
            let result = body(&schedule)
            self = .planned(schedule)
            return result
        }
    }

    public init(store: KeyStore, clock: any WallClock, wake: WakeSignal) {
        self.store = store
        self.clock = clock
        self.wake = wake
        store.observeChanges { [weak self] change in self?.apply(change) }
    }

    /// Drops the schedule, so the next use reads every workspace again, and wakes the scheduler.
    public func replanFully() {
        state.withLockedValue { $0 = .unplanned }
        wake.signal()
    }

    /// Runs `body` on the schedule, reading it from the store first if it is not planned.
    ///
    /// - Throws: what reading the store threw; the schedule stays unplanned.
    func withSchedule<T: Sendable>(_ body: (inout RotationSchedule) -> T) throws(StoreError) -> T {
        let planned = state.withLockedValue { state -> T? in
            if let result = state.withPlanned(body) { return result }
            if case .unplanned = state { state = .planning([]) }
            return nil
        }
        if let planned { return planned }
        let snapshot: (policies: [WorkspaceName: WorkspacePolicy], liveKeys: [KeyRecord], order: UInt64)
        do throws(StoreError) { snapshot = try store.scheduleSnapshot() } catch {
            state.withLockedValue { state in
                if case .planning = state { state = .unplanned }
            }
            throw error
        }
        let now = clock.now()
        var schedule = RotationSchedule(
            policies: snapshot.policies,
            liveKeys: snapshot.liveKeys,
            order: snapshot.order,
            now: now
        )
        return state.withLockedValue { state in
            if let result = state.withPlanned(body) { return result }  // another reader planned it first
            guard case .planning(let missed) = state else {
                state = .unplanned  // a reload asked for a newer plan meanwhile: this one serves this call only
                return body(&schedule)
            }
            for change in missed { schedule.update(change.workspace, order: change.order, now: now) }
            let result = body(&schedule)
            state = .planned(schedule)
            return result
        }
    }

    /// Puts one committed change in the schedule; wakes the scheduler if the next deadline moved.
    func apply(_ change: CommittedChange) {
        let now = clock.now()
        let moved = state.withLockedValue { state -> Bool in
            if case .planning(var missed) = state {
                state = .unplanned
                missed.append(change)
                state = .planning(missed)
                return false
            }
            return state.withPlanned { schedule in
                let before = schedule.nextDeadline()
                schedule.update(change.workspace, order: change.order, now: now)
                return schedule.nextDeadline() != before
            } ?? false
        }
        if moved { wake.signal() }
    }
}
