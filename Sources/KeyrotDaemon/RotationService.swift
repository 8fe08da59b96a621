import KeyrotCore
import KeyrotStore
import Logging
import ServiceLifecycle

/// Rotates each workspace's key when it falls due and retires grace keys whose window has closed, then sleeps
/// on the wall clock until the next deadline.
///
/// - Important: Every step is idempotent (the store re-checks what is due inside each transaction), so after a
///   crash or downtime each overdue rotation runs once. A failed step is logged and retried after
///   ``retryDelay``; the loop itself never fails. It returns on graceful shutdown.
public struct RotationService: Service {
    /// How soon a failed step is tried again.
    public static let retryDelay = TimeSpan.seconds(5)
    /// How long to sleep when nothing is scheduled at all (no workspaces).
    public static let idleDelay = TimeSpan.hours(1)

    let store: KeyStore
    let clock: any WallClock
    let actor: AuditActor
    let logger: Logger
    let wake: WakeSignal

    public init(
        store: KeyStore,
        clock: any WallClock,
        actor: AuditActor,
        logger: Logger,
        wake: WakeSignal = WakeSignal()
    ) {
        self.store = store
        self.clock = clock
        self.actor = actor
        self.logger = logger
        self.wake = wake
    }

    public func run() async throws {
        do {
            try await cancelWhenGracefulShutdown {
                while true {
                    let deadline = performDueWork(at: clock.now())
                    try await sleep(until: deadline)
                }
            }
        } catch is CancellationError {
            logger.info("rotation scheduler stopped")
        }
    }

    /// Sleeps until `deadline` or until woken, whichever comes first.
    private func sleep(until deadline: Timestamp) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await clock.sleep(until: deadline) }
            group.addTask { await wake.wait() }
            try await group.next()
            group.cancelAll()
        }
    }

    /// Does everything due at `now`; returns when to look again.
    public func performDueWork(at now: Timestamp) -> Timestamp {
        let plan: RotationPlan
        do {
            let snapshot = try store.scheduleSnapshot()
            plan = RotationPlan(policies: snapshot.policies, keys: snapshot.liveKeys, now: now)
        } catch {
            logger.error("cannot read the schedule", metadata: ["keyrot.error": "\(error)"])
            return now + Self.retryDelay
        }
        var failed = false
        for action in plan.due {
            do {
                try perform(action, at: now)
            } catch {
                failed = true
                logger.error(
                    "scheduled work failed",
                    metadata: ["keyrot.workspace": "\(action.workspace)", "keyrot.error": "\(error)"]
                )
            }
        }
        let next = plan.nextDeadline ?? now + Self.idleDelay
        return failed ? min(next, now + Self.retryDelay) : next
    }

    private func perform(_ action: RotationPlan.Action, at now: Timestamp) throws {
        let entries: [AuditEntry]
        switch action {
        case .rotate(let workspace):
            entries = try store.rotate(workspace, mode: .scheduled, reason: "scheduled", at: now, actor: actor)
        case .retire(let workspace, let keyID):
            entries = try store.retireExpiredGraceKey(workspace, keyID: keyID, at: now, actor: actor)
        }
        for entry in entries {
            logger.notice("\(entry.event.rawValue)", metadata: entry.logMetadata)
        }
    }
}

extension RotationPlan.Action {
    var workspace: WorkspaceName {
        switch self {
        case .rotate(let workspace), .retire(let workspace, _): workspace
        }
    }
}

extension AuditEntry {
    /// The entry as structured log metadata (dotted `keyrot.*` keys; nothing secret is in an entry).
    var logMetadata: Logger.Metadata {
        var metadata: Logger.Metadata = [
            "keyrot.event": "\(event.rawValue)",
            "keyrot.workspace": "\(workspace)",
            "keyrot.audit_seq": "\(seq)",
            "keyrot.audit_hash": "\(chainHash)",
        ]
        if let keyID { metadata["keyrot.key_id"] = "\(keyID)" }
        if let previousKeyID { metadata["keyrot.previous_key_id"] = "\(previousKeyID)" }
        if let reason { metadata["keyrot.reason"] = "\(reason)" }
        return metadata
    }
}
