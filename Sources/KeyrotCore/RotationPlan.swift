/// What the scheduler must do at `now`, and when it must look again.
///
/// Pure: built from the workspaces' policies and their live keys. A rotation missed during downtime is due
/// once, however many periods passed, because a rotation is due when the *current* active key is older than
/// its period and the rotation replaces that key.
public struct RotationPlan: Equatable, Sendable {
    /// One piece of scheduled work.
    public enum Action: Hashable, Sendable {
        /// The workspace's active key is due (or it has none): rotate it.
        case rotate(WorkspaceName)
        /// A grace key's window has closed: retire it.
        case retire(WorkspaceName, keyID: String)
    }

    /// The work due at `now`, retirements first, each group in workspace order.
    public let due: [Action]
    /// The earliest moment after the due work at which more falls due (the next rotations, and the grace windows
    /// the due rotations open); nil when nothing ever will.
    public let nextDeadline: Timestamp?
    /// The earliest rotation after the due work (ties go to the first workspace by name); nil without workspaces.
    public let nextRotation: ScheduledRotation?

    /// A rotation the schedule holds: which workspace, and when.
    public struct ScheduledRotation: Hashable, Sendable {
        public var workspace: WorkspaceName
        public var at: Timestamp

        public init(workspace: WorkspaceName, at: Timestamp) {
            self.workspace = workspace
            self.at = at
        }
    }

    /// Linear in the workspaces and keys, apart from sorting what is due: it runs on every pass of the scheduler
    /// and on every change, over every workspace.
    public init(policies: [WorkspaceName: WorkspacePolicy], keys: [KeyRecord], now: Timestamp) {
        var retirements: [(workspace: WorkspaceName, keyID: String)] = []
        var nextDeadline: Timestamp?
        func consider(_ deadline: Timestamp) {
            if nextDeadline.map({ deadline < $0 }) ?? true { nextDeadline = deadline }
        }
        var activeKeys: [WorkspaceName: KeyRecord] = [:]
        activeKeys.reserveCapacity(policies.count)
        for key in keys {
            switch key.state {
            case .active:
                activeKeys[key.workspace] = key
            case .grace:
                let end = key.graceUntil ?? now
                if end <= now {
                    retirements.append((key.workspace, key.keyID))
                } else {
                    consider(end)
                }
            case .pending, .retired, .revoked:
                break
            }
        }
        var rotations: [WorkspaceName] = []
        var nextRotation: ScheduledRotation?
        func schedule(_ workspace: WorkspaceName, at moment: Timestamp) {
            consider(moment)
            if nextRotation.map({ (moment, workspace) < ($0.at, $0.workspace) }) ?? true {
                nextRotation = ScheduledRotation(workspace: workspace, at: moment)
            }
        }
        for (workspace, policy) in policies {
            let active = activeKeys[workspace]
            let due = KeyLifecycle.rotationDue(of: active, policy: policy, now: now)
            if due <= now {
                // The rotation starts the next period and opens the replaced key's grace window: both end later.
                rotations.append(workspace)
                schedule(workspace, at: now + policy.rotateEvery)
                if let active {
                    consider(
                        KeyLifecycle.graceUntil(
                            now: now,
                            grace: policy.grace,
                            tokensValidUntil: active.tokensValidUntil
                        )
                    )
                }
            } else {
                schedule(workspace, at: due)
            }
        }
        self.due =
            retirements.sorted { ($0.workspace, $0.keyID) < ($1.workspace, $1.keyID) }
            .map { Action.retire($0.workspace, keyID: $0.keyID) }
            + rotations.sorted().map(Action.rotate)
        self.nextDeadline = nextDeadline
        self.nextRotation = nextRotation
    }

    /// The workspace whose scheduled rotation falls due first, and when (at `now` for one overdue or without an
    /// active key; ties go to the first workspace by name); nil without workspaces. What `keyrotctl status` shows.
    public static func earliestRotation(
        policies: [WorkspaceName: WorkspacePolicy],
        liveKeys: [KeyRecord],
        now: Timestamp
    ) -> ScheduledRotation? {
        var activeKeys: [WorkspaceName: KeyRecord] = [:]
        for key in liveKeys where key.state == .active { activeKeys[key.workspace] = key }
        return policies.map { workspace, policy in
            ScheduledRotation(
                workspace: workspace,
                at: KeyLifecycle.rotationDue(of: activeKeys[workspace], policy: policy, now: now)
            )
        }.min { ($0.at, $0.workspace) < ($1.at, $1.workspace) }
    }
}
