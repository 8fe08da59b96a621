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
    private let store: any KeyStore
    private let clock: any WallClock
    private let wake: WakeSignal
    /// A pthread mutex (`NIOLockedValueBox`), not `Synchronization.Mutex`, whose futex ThreadSanitizer cannot see.
    private let state = NIOLockedValueBox(State())

    /// Where the schedule is: not read yet (or dropped by a reload), being read, or current.
    ///
    /// - Important: A struct of optionals, not an enum with payloads: such an enum keeps its case in the spare bits
    ///   of its payload's pointers, which LeakSanitizer then cannot follow, and reports the schedule as leaked.
    private struct State {
        /// The current schedule; nil when not read yet, or dropped by a reload.
        var schedule: RotationSchedule?
        /// While the schedule is being read from the store: the changes committed meanwhile, to put in it then.
        var missed: [CommittedChange]?

        /// Runs `body` on the current schedule in place (never on a copy: with many workspaces a copy is costly).
        mutating func withPlanned<T>(_ body: (inout RotationSchedule) -> T) -> T? {
            guard schedule != nil else { return nil }
            return body(&schedule!)
        }
    }

    public init(store: any KeyStore, clock: any WallClock, wake: WakeSignal) {
        self.store = store
        self.clock = clock
        self.wake = wake
        store.observeChanges { [weak self] change in self?.apply(change) }
    }

    /// Drops the schedule, so the next use reads every workspace again, and wakes the scheduler.
    public func replanFully() {
        state.withLockedValue { $0 = State() }
        wake.signal()
    }

    /// Runs `body` on the schedule, reading it from the store first if it is not planned.
    ///
    /// - Throws: what reading the store threw; the schedule stays unplanned.
    func withSchedule<T: Sendable>(_ body: (inout RotationSchedule) -> T) throws(StoreError) -> T {
        let planned = state.withLockedValue { state -> T? in
            if let result = state.withPlanned(body) { return result }
            if state.missed == nil { state.missed = [] }
            return nil
        }
        if let planned { return planned }
        let snapshot:
            (
                policies: [WorkspaceName: WorkspacePolicy], liveKeys: [KeyRecord],
                rotationsInFlight: Set<WorkspaceName>, order: UInt64
            )
        do throws(StoreError) { snapshot = try store.scheduleSnapshot() } catch {
            state.withLockedValue { $0.missed = nil }
            throw error
        }
        let now = clock.now()
        var schedule = RotationSchedule(
            policies: snapshot.policies,
            liveKeys: snapshot.liveKeys,
            rotationsInFlight: snapshot.rotationsInFlight,
            order: snapshot.order,
            now: now
        )
        return state.withLockedValue { state in
            if let result = state.withPlanned(body) { return result }  // another reader planned it first
            guard let missed = state.missed else {
                return body(&schedule)  // a reload asked for a newer plan meanwhile: this one serves this call only
            }
            for change in missed { schedule.update(change.workspace, order: change.order, now: now) }
            let result = body(&schedule)
            state = State(schedule: schedule, missed: nil)
            return result
        }
    }

    /// Puts one committed change in the schedule; wakes the scheduler if the next deadline moved.
    func apply(_ change: CommittedChange) {
        let now = clock.now()
        let moved = state.withLockedValue { state -> Bool in
            if state.schedule == nil {
                state.missed?.append(change)  // kept only while the schedule is being read
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
