import KeyrotCore
import KeyrotSystemd
import NIOConcurrencyHelpers

/// What the daemon tells its service manager through sd_notify: `READY=1` once it serves, a `STATUS=` line kept
/// current from the schedule and the store's health, `WATCHDOG=1` only while healthy, `RELOADING=1` and
/// `STOPPING=1`.
///
/// - Important: Without a service manager (`$NOTIFY_SOCKET` unset) the messages go nowhere, but ``line`` still
///   tells what `systemctl status` would show.
public final class ServiceStatus: Sendable {
    private struct State {
        var schedule = "starting"
        var unhealthy: String?
        var failingWork: String?
        var rejectedReload: String?
        var pendingRevocations: String?
        var providerProblems: String?
        var stopping = false
        var sent: String?

        var line: String {
            if stopping { return "stopping" }
            var parts: [String] = []
            if let pendingRevocations { parts.append(pendingRevocations) }
            if let providerProblems { parts.append(providerProblems) }
            if let unhealthy { parts.append("store unhealthy, watchdog pings stopped: \(unhealthy)") }
            parts.append(schedule)
            if let failingWork { parts.append("scheduled work failing: \(failingWork)") }
            if let rejectedReload { parts.append("last reload rejected: \(rejectedReload)") }
            return parts.joined(separator: "; ")
        }
    }

    /// How much more start-up time to ask for before each migration.
    public static let migrationAllowance = Duration.seconds(300)

    let notifier: SystemdNotifier
    private let state = NIOLockedValueBox(State())

    public init(notifier: SystemdNotifier = SystemdNotifier()) {
        self.notifier = notifier
    }

    /// The `STATUS=` line as it stands.
    public var line: String { state.withLockedValue { $0.line } }

    /// What the store's last health check found wrong; nil while it is healthy (or not checked: without a
    /// watchdog).
    public var storeProblem: String? { state.withLockedValue { $0.unhealthy } }

    /// The schedule in a few words: `3 workspaces; next rotation acme in 29d 23h`.
    public static func summary(workspaces: Int, next: RotationSchedule.ScheduledRotation?, now: Timestamp) -> String {
        let count = workspaces == 1 ? "1 workspace" : "\(workspaces) workspaces"
        guard let next else { return "\(count); nothing scheduled" }
        let when = next.at <= now ? "due now" : "in \((next.at - now).description(units: 2))"
        return "\(count); next rotation \(next.workspace) \(when)"
    }

    /// Asks for more start-up time: a migration is about to run.
    public func migrationStarting() {
        notifier.send(.extendTimeout(microseconds: UInt64(Self.migrationAllowance.components.seconds) * 1_000_000))
    }

    /// `READY=1`: migrated, master key loaded, control socket bound.
    public func ready(schedule: String) {
        announceReady { $0.schedule = schedule }
    }

    /// The scheduler's latest view of what comes next, and whether its last pass failed.
    public func scheduled(_ schedule: String, failing: String?) {
        update { state in
            state.schedule = schedule
            state.failingWork = failing
        }
    }

    /// The store passed its health check: ping the watchdog.
    public func healthy() {
        update { $0.unhealthy = nil }
        notifier.send(.watchdog)
    }

    /// The store failed its health check: no ping, and the status says why.
    public func unhealthy(_ problem: String) {
        update { $0.unhealthy = problem }
    }

    /// Which revocations are in force in memory only, as ``RevocationBacklog`` words it; nil when none.
    public func revocationsPending(_ summary: String?) {
        update { $0.pendingRevocations = summary }
    }

    /// What is wrong with the provider work, as ``ProviderBoard`` words it; nil when nothing is.
    public func providerProblems(_ summary: String?) {
        update { $0.providerProblems = summary }
    }

    /// `RELOADING=1`: the configuration is being read again.
    public func reloading() {
        notifier.reloading(status: "reloading the configuration")
        state.withLockedValue { $0.sent = nil }
    }

    /// `READY=1` after a reload; `rejected` says why the new configuration was refused, if it was.
    public func reloaded(rejected: String?) {
        announceReady { $0.rejectedReload = rejected }
    }

    /// `STOPPING=1`: graceful shutdown has begun.
    public func stopping() {
        state.withLockedValue { state in
            state.stopping = true
            state.sent = state.line
        }
        notifier.send(.stopping, .status("stopping"))
    }

    /// Applies `change`, then sends `READY=1` with the status line.
    private func announceReady(_ change: (inout State) -> Void) {
        let line = state.withLockedValue { state in
            change(&state)
            state.sent = state.line
            return state.line
        }
        notifier.send(.ready, .status(line))
    }

    /// Applies `change` and sends the status line if it changed.
    private func update(_ change: (inout State) -> Void) {
        let line = state.withLockedValue { state -> String? in
            change(&state)
            guard !state.stopping, state.line != state.sent else { return nil }
            state.sent = state.line
            return state.line
        }
        if let line { notifier.send(.status(line)) }
    }
}
