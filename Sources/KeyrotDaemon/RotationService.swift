import KeyrotCore
import KeyrotStore
import Logging
import NIOConcurrencyHelpers
import NIOPosix
import ServiceLifecycle

/// Rotates each workspace's key when it falls due and retires grace keys whose window has closed, then sleeps
/// on the wall clock until the next deadline; under a systemd watchdog it also proves the store healthy and
/// pings, at half the watchdog timeout.
///
/// The deadlines come from a ``ScheduleKeeper``: a wake-up takes what is due from it, and each change, the
/// scheduler's own and every other, updates the one workspace it changed; nothing re-reads every workspace but
/// start-up and reload.
///
/// - Important: Every step is idempotent (the store re-checks what is due inside each transaction), so after a
///   crash or downtime each overdue rotation runs once. A failed step is reported (`rotation_failed`) and retried
///   after ``retryDelay``; the loop itself never fails. `WATCHDOG=1` goes out only from this loop and only right
///   after ``KeyrotCore/KeyStore/checkHealth(at:pid:)`` passed, so a stuck loop or a broken store stops the
///   pings and systemd restarts the service; while the store is broken no new keys are made. It returns on
///   graceful shutdown.
public struct RotationService: Service {
    /// How soon a failed step is tried again.
    public static let retryDelay = TimeSpan.seconds(5)
    /// How long to sleep when nothing is scheduled at all (no workspaces).
    public static let idleDelay = TimeSpan.hours(1)
    /// How often a keyrotd that does not run the scheduler (another host sharing the store holds its lease) asks
    /// for the lease again: the bound on how long a dead leader's work waits, beside the server noticing it died.
    public static let leaseRetry = TimeSpan.seconds(2)

    let store: any KeyStore
    let schedule: ScheduleKeeper
    let revocations: RevocationBacklog?
    let clock: any WallClock
    let actor: AuditActor
    let logger: Logger
    let wake: WakeSignal
    let events: EventReporter
    let status: ServiceStatus
    let watchdogInterval: Duration?
    let startSignal: WakeSignal?
    /// Set when the service is asked to stop: a pass under way finishes the transaction in flight and leaves the rest
    /// of its work to the next start, instead of holding up the daemon's exit.
    private let stopping = StopRequest()
    /// Whether this keyrotd ran the schedule at the last pass (nil before the first): a change is logged.
    private let leading = NIOLockedValueBox<Bool?>(nil)

    /// - Parameters:
    ///   - events: where rotations and failures are reported (by default: the log only).
    ///   - status: what the service manager is told (by default: an unconnected status).
    ///   - schedule: the deadlines, shared with the status line (by default: a schedule of its own over `store`).
    ///   - revocations: revocations the store could not take, which each pass tries again (none by default).
    ///   - watchdogInterval: how often to ping the watchdog, nil without one.
    ///   - startSignal: the first pass waits for it (the daemon signals it once `READY=1` is out, so start-up reads
    ///     the whole schedule once at a time, not twice at once); nil to start at once.
    public init(
        store: any KeyStore,
        clock: any WallClock,
        actor: AuditActor,
        logger: Logger,
        wake: WakeSignal = WakeSignal(),
        schedule: ScheduleKeeper? = nil,
        revocations: RevocationBacklog? = nil,
        events: EventReporter? = nil,
        status: ServiceStatus = ServiceStatus(),
        watchdogInterval: Duration? = nil,
        startSignal: WakeSignal? = nil
    ) {
        self.store = store
        self.schedule = schedule ?? ScheduleKeeper(store: store, clock: clock, wake: wake)
        self.revocations = revocations
        self.clock = clock
        self.actor = actor
        self.logger = logger
        self.wake = wake
        self.events = events ?? EventReporter(logger: logger, clock: clock, journal: .off)
        self.status = status
        self.watchdogInterval = watchdogInterval
        self.startSignal = startSignal
    }

    public func run() async throws {
        // The passes and health checks commit to the database and write to the journal: they run on a thread of
        // their own, never on Swift's cooperative pool (two threads on a two-core machine), and never queued behind
        // the control socket's blocking calls.
        let thread = NIOThreadPool(numberOfThreads: 1)
        thread.start()
        do {
            try await withGracefulShutdownHandler {
                try await withTaskCancellationHandler {
                    try await runSchedule(on: thread)
                } onCancel: { [stopping] in
                    stopping.request()
                }
            } onGracefulShutdown: { [stopping] in
                stopping.request()
            }
        } catch is CancellationError {
            logger.info("rotation scheduler stopped")
        }
        try? await thread.shutdownGracefully()
    }

    /// The scheduler's loop: a pass, then sleep until the next deadline, a wake-up or a watchdog ping, until asked
    /// to stop.
    private func runSchedule(on thread: NIOThreadPool) async throws {
        do {
            try await cancelWhenGracefulShutdown {
                await startSignal?.wait()
                try Task.checkCancellation()
                var watchdog = watchdogInterval.map { Watchdog(interval: $0) }
                var pass: Pass
                (pass, watchdog) = try await thread.runIfActive { [self, watchdog] in passAndWatchdog(watchdog) }
                while true {
                    try Task.checkCancellation()
                    if watchdog?.isDue == true {
                        watchdog = try await thread.runIfActive { [self, watchdog, pass] in
                            var state = watchdog!
                            checkHealthAndPing(&state)
                            report(pass, at: clock.now())  // "next rotation in …" moves on between passes
                            return state
                        }
                    }
                    switch try await sleep(until: pass.deadline, orPingAt: watchdog?.nextPing) {
                    case .deadline, .woken:
                        (pass, watchdog) = try await thread.runIfActive { [self, watchdog] in passAndWatchdog(watchdog)
                        }
                    case .pingDue: break
                    }
                }
            }
        }
    }

    /// One pass at the clock's `now`, and the watchdog as the pass leaves it.
    private func passAndWatchdog(_ watchdog: Watchdog?) -> (Pass, Watchdog?) {
        var watchdog = watchdog
        let pass = performDueWork(at: clock.now(), watchdog: &watchdog)
        return (pass, watchdog)
    }

    /// Does everything due at `now`; returns when to look again.
    public func performDueWork(at now: Timestamp) -> Timestamp {
        var watchdog: Watchdog?
        return performDueWork(at: now, watchdog: &watchdog).deadline
    }

    /// What a pass over the schedule found: when to look again, and what the status line says about it.
    private struct Pass: Sendable {
        var deadline: Timestamp
        var workspaces: Int?
        var nextRotation: RotationSchedule.ScheduledRotation?
        var failure: String?
    }

    /// Tells the service manager about `pass` as it stands at `now`.
    private func report(_ pass: Pass, at now: Timestamp) {
        guard let workspaces = pass.workspaces else {
            return status.scheduled("schedule unreadable", failing: pass.failure)
        }
        status.scheduled(
            ServiceStatus.summary(workspaces: workspaces, next: pass.nextRotation, now: now),
            failing: pass.failure
        )
    }

    private func performDueWork(at now: Timestamp, watchdog: inout Watchdog?) -> Pass {
        // A revocation in force in memory only is the most urgent write there is; not into a store known broken.
        if status.storeProblem == nil { revocations?.retryDue(at: now) }
        let leads = store.holdsSchedulerLease()
        if leading.withLockedValue({ was in
            defer { was = leads }
            return was != leads
        }) {
            logger.notice(
                leads
                    ? "this keyrotd now runs the schedule"
                    : "this keyrotd no longer runs the schedule: another keyrotd sharing the store holds its lease"
            )
        }
        guard leads else {
            status.scheduled("following: another keyrotd sharing the store runs the schedule", failing: nil)
            var deadline = now + Self.leaseRetry
            if let attempt = revocations?.nextAttempt { deadline = min(deadline, max(attempt, now + .seconds(1))) }
            return Pass(deadline: deadline)
        }
        let due: [RotationSchedule.Action]
        do {
            due = try schedule.withSchedule { $0.takeDue(at: now) }
        } catch {
            let problem = error.description
            logger.error("cannot read the schedule", metadata: ["keyrot.error": "\(problem)"])
            let pass = Pass(deadline: now + Self.retryDelay, failure: problem)
            report(pass, at: now)
            return pass
        }
        var failure: String?
        var outcomes: [WorkspaceName: LifecycleOutcome] = [:]
        var failed: Set<WorkspaceName> = []
        var unfinished: Set<WorkspaceName> = []
        for action in due where !failed.contains(action.workspace) {
            if stopping.isRequested {
                unfinished.insert(action.workspace)
                continue
            }
            // A long pass (thousands of workspaces due at once) must not starve the watchdog; and a store found
            // broken gets no new keys until it is proven whole again: keys made in a database file that was
            // removed, say, would be lost with it, and tokens signed with them would stop verifying.
            if let state = watchdog, state.isDue || state.unhealthy { checkHealthAndPing(&watchdog!) }
            if let problem = watchdog?.problem {
                failure = "the store is unhealthy (\(problem)); scheduled work waits for it"
                failed.insert(action.workspace)
                continue
            }
            do throws(StoreError) {
                let outcome = try perform(action, at: now)
                outcomes[action.workspace] = outcome
                events.report(outcome.entries)
            } catch {
                let problem = error.description
                failure = "\(action.workspace): \(problem)"
                failed.insert(action.workspace)
                events.report(
                    DaemonEvent(
                        .rotationFailed,
                        "\(action.summary) failed: \(problem); retrying in \(Self.retryDelay)",
                        workspace: action.workspace,
                        keyID: action.keyID,
                        reason: problem,
                        actor: actor
                    )
                )
            }
        }
        // Every workspace taken goes back: with the state its last step left (a step that found nothing to do
        // changed nothing, so no observer heard of it), or, after a failure, as it was, to be tried again.
        let givenBack = try? schedule.withSchedule { schedule in
            for (workspace, outcome) in outcomes where !failed.contains(workspace) {
                schedule.update(outcome.decision.result, order: outcome.order, now: now)
            }
            for workspace in failed { schedule.retry(workspace, at: now + Self.retryDelay) }
            for workspace in unfinished.subtracting(failed) { schedule.retry(workspace, at: now) }
            return (
                next: schedule.nextDeadline(), workspaces: schedule.workspaceCount, rotation: schedule.nextRotation()
            )
        }
        // Nil only if a reload dropped the schedule and reading it again failed: the next pass reads it again.
        var next = givenBack.map { $0.next ?? now + Self.idleDelay } ?? now + Self.retryDelay
        if let attempt = revocations?.nextAttempt { next = min(next, max(attempt, now + .seconds(1))) }
        let pass = Pass(
            deadline: failure != nil ? min(next, now + Self.retryDelay) : next,
            workspaces: givenBack?.workspaces,
            nextRotation: givenBack?.rotation,
            failure: failure
        )
        report(pass, at: now)
        return pass
    }

    private func perform(_ action: RotationSchedule.Action, at now: Timestamp) throws(StoreError) -> LifecycleOutcome {
        switch action {
        case .rotate(let workspace):
            try store.perform(.rotate(.scheduled, reason: "scheduled"), on: workspace, at: now, actor: actor)
        case .retire(let workspace, let keyID):
            try store.perform(.retireExpiredGrace(keyID: keyID), on: workspace, at: now, actor: actor)
        }
    }

    /// Checks the store; pings if it is healthy, reports the change if its health changed.
    private func checkHealthAndPing(_ watchdog: inout Watchdog) {
        // The next ping is due an interval after this one was due, not after the check: a commit that waited
        // behind others (or a slow fsync), or a late wake-up, would otherwise add its wait to the gap between pings.
        let due = min(watchdog.nextPing, .now)
        do {
            try store.checkHealth(at: clock.now(), pid: actor.pid)
            ping(&watchdog, due: due)
        } catch {
            watchdog.scheduleNext(after: .now)
            status.unhealthy(error.description)
            let newlyBroken = !watchdog.unhealthy
            watchdog.problem = error.description
            guard newlyBroken else { return }
            events.report(
                DaemonEvent(
                    .storeUnhealthy,
                    "the store stopped working: \(error.description); watchdog pings stop until it works again",
                    reason: error.description
                )
            )
        }
    }

    private func ping(_ watchdog: inout Watchdog, due: ContinuousClock.Instant) {
        watchdog.scheduleNext(after: due)
        status.healthy()
        guard watchdog.unhealthy else { return }
        watchdog.problem = nil
        events.report(DaemonEvent(.storeRecovered, "the store works again; watchdog pings resume"))
        revocations?.storeRecovered(at: clock.now())
    }

    private enum Wakeup { case deadline, woken, pingDue }

    /// Sleeps until `deadline`, until woken, or until `ping` (on the monotonic clock), whichever comes first.
    private func sleep(until deadline: Timestamp, orPingAt ping: ContinuousClock.Instant?) async throws -> Wakeup {
        try await withThrowingTaskGroup(of: Wakeup.self) { group in
            group.addTask {
                try await clock.sleep(until: deadline)
                return .deadline
            }
            group.addTask {
                await wake.wait()
                return .woken
            }
            if let ping {
                group.addTask {
                    try await Task.sleep(until: ping, clock: .continuous)
                    return .pingDue
                }
            }
            defer { group.cancelAll() }
            return try await group.next()!
        }
    }
}

/// When the watchdog wants its next ping, and what was wrong with the store when it was last found unhealthy.
private struct Watchdog: Sendable {
    let interval: Duration
    var nextPing = ContinuousClock.now
    var problem: String?

    init(interval: Duration) {
        self.interval = interval
    }

    var unhealthy: Bool { problem != nil }

    var isDue: Bool { ContinuousClock.now >= nextPing }

    /// The next ping an interval after `due`; after a check that took nearly that long, a tenth of one from now,
    /// so that the scheduler's passes still get their turn between checks.
    mutating func scheduleNext(after due: ContinuousClock.Instant) {
        nextPing = max(due + interval, .now + interval / 10)
    }
}

extension RotationSchedule.Action {
    var workspace: WorkspaceName {
        switch self {
        case .rotate(let workspace), .retire(let workspace, _): workspace
        }
    }

    var keyID: String? {
        switch self {
        case .rotate: nil
        case .retire(_, let keyID): keyID
        }
    }

    /// The step in words, for an error.
    var summary: String {
        switch self {
        case .rotate(let workspace): "the scheduled rotation of workspace \(workspace)"
        case .retire(let workspace, let keyID): "retiring key \(keyID) of workspace \(workspace)"
        }
    }
}
