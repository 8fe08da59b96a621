import HeapModule

/// What the scheduler must do and when: every workspace's next deadlines (its scheduled rotation, the ends of its
/// grace windows), kept current change by change, so a wake-up costs what falls due, not the number of workspaces.
///
/// Built whole once (at start-up and on reload) from every workspace's policy and live keys; from then on each
/// committed change to a workspace replaces that workspace's deadlines (``update(_:order:now:)``). A rotation missed
/// during downtime is due once, however many periods passed: it is due when the *current* active key is older than
/// its period, and the rotation replaces that key.
///
/// - Important: ``takeDue(at:)`` hands a workspace's due work out once: the caller gives the workspace back with
///   ``update(_:order:now:)`` once the work is done (or found not needed), or with ``retry(_:at:)`` if it failed.
public struct RotationSchedule: Sendable {
    /// One piece of scheduled work.
    public enum Action: Hashable, Sendable {
        /// The workspace's active key is due (or it has none): rotate it.
        case rotate(WorkspaceName)
        /// A grace key's window has closed: retire it.
        case retire(WorkspaceName, keyID: String)
    }

    /// A rotation the schedule holds: which workspace, and when.
    public struct ScheduledRotation: Hashable, Sendable {
        public var workspace: WorkspaceName
        public var at: Timestamp

        public init(workspace: WorkspaceName, at: Timestamp) {
            self.workspace = workspace
            self.at = at
        }
    }

    /// What the schedule holds for one workspace.
    private struct Entry: Sendable {
        var rotationDue: Timestamp
        /// The workspace's grace keys and when each window closes.
        var graceEnds: [(keyID: String, at: Timestamp)]
        /// The store's commit order of the state this entry was made from: an older change arriving late is ignored.
        var order: UInt64
        /// Tells this entry's live queue items from those an update or a take made stale.
        var stamp: UInt64

        var earliest: Timestamp { graceEnds.reduce(rotationDue) { min($0, $1.at) } }
    }

    /// A deadline in a queue: live while its workspace's entry still has its stamp.
    private struct Item: Comparable, Sendable {
        var at: Timestamp
        var workspace: WorkspaceName
        var stamp: UInt64

        static func < (lhs: Self, rhs: Self) -> Bool {
            (lhs.at, lhs.workspace, lhs.stamp) < (rhs.at, rhs.workspace, rhs.stamp)
        }
    }

    private var entries: [WorkspaceName: Entry] = [:]
    /// Each workspace's earliest deadline, while it is not handed out.
    private var deadlines = Heap<Item>()
    /// Each workspace's scheduled rotation, for the status line.
    private var rotations = Heap<Item>()
    private var nextStamp: UInt64 = 0

    /// The schedule of every workspace in `policies`, whose live (pending, active, grace) keys are `liveKeys`, as the
    /// store held them at commit order `order` (read before them). A workspace in `rotationsInFlight` has its next
    /// key being created at its provider: its rotation is under way, and not due again until that ends.
    public init(
        policies: [WorkspaceName: WorkspacePolicy],
        liveKeys: [KeyRecord],
        rotationsInFlight: Set<WorkspaceName> = [],
        order: UInt64,
        now: Timestamp
    ) {
        var keys: [WorkspaceName: [KeyRecord]] = [:]
        for key in liveKeys { keys[key.workspace, default: []].append(key) }
        var deadlines: [Item] = []
        var rotations: [Item] = []
        deadlines.reserveCapacity(policies.count)
        rotations.reserveCapacity(policies.count)
        entries.reserveCapacity(policies.count)
        for (workspace, policy) in policies {
            let entry = makeEntry(
                policy: policy,
                keys: keys[workspace] ?? [],
                creationPending: rotationsInFlight.contains(workspace),
                order: order,
                now: now
            )
            entries[workspace] = entry
            deadlines.append(Item(at: entry.earliest, workspace: workspace, stamp: entry.stamp))
            if entry.rotationDue != .distantFuture {
                rotations.append(Item(at: entry.rotationDue, workspace: workspace, stamp: entry.stamp))
            }
        }
        self.deadlines = Heap(deadlines)
        self.rotations = Heap(rotations)
    }

    /// How many workspaces the schedule holds.
    public var workspaceCount: Int { entries.count }

    /// Replaces the deadlines of `workspace` with those of its state after a change the store committed at
    /// `order`; a change older than the one the schedule has for it is ignored.
    public mutating func update(_ workspace: WorkspaceState, order: UInt64, now: Timestamp) {
        if let current = entries[workspace.name], current.order > order { return }
        let entry = makeEntry(
            policy: workspace.policy,
            keys: workspace.keys,
            creationPending: workspace.pendingCreation != nil,
            order: order,
            now: now
        )
        entries[workspace.name] = entry
        deadlines.insert(Item(at: entry.earliest, workspace: workspace.name, stamp: entry.stamp))
        if entry.rotationDue != .distantFuture {
            rotations.insert(Item(at: entry.rotationDue, workspace: workspace.name, stamp: entry.stamp))
        }
    }

    /// Hands out the work due at `now`: retirements first, then rotations, each group in workspace order. Each
    /// workspace handed out leaves the queue until it is given back.
    public mutating func takeDue(at now: Timestamp) -> [Action] {
        var retirements: [(workspace: WorkspaceName, keyID: String)] = []
        var rotationsDue: [WorkspaceName] = []
        while let top = Self.liveTop(of: &deadlines, in: entries), top.at <= now {
            deadlines.removeMin()
            let entry = entries[top.workspace]!
            for grace in entry.graceEnds where grace.at <= now { retirements.append((top.workspace, grace.keyID)) }
            if entry.rotationDue <= now { rotationsDue.append(top.workspace) }
            entries[top.workspace]!.stamp = stamp()  // its queued items are stale until it is given back
            if entry.rotationDue != .distantFuture {
                rotations.insert(
                    Item(at: entry.rotationDue, workspace: top.workspace, stamp: entries[top.workspace]!.stamp)
                )
            }
        }
        return retirements.sorted { ($0.workspace, $0.keyID) < ($1.workspace, $1.keyID) }
            .map { Action.retire($0.workspace, keyID: $0.keyID) }
            + rotationsDue.sorted().map(Action.rotate)
    }

    /// Gives a workspace whose work failed back, to be handed out again at `moment` with the deadlines it had.
    public mutating func retry(_ workspace: WorkspaceName, at moment: Timestamp) {
        guard let entry = entries[workspace] else { return }
        deadlines.insert(Item(at: moment, workspace: workspace, stamp: entry.stamp))
    }

    /// The earliest moment at which work falls due; nil when nothing ever will (or all is handed out).
    public mutating func nextDeadline() -> Timestamp? {
        Self.liveTop(of: &deadlines, in: entries)?.at
    }

    /// The earliest scheduled rotation (ties go to the first workspace by name); nil without workspaces.
    public mutating func nextRotation() -> ScheduledRotation? {
        Self.liveTop(of: &rotations, in: entries).map { ScheduledRotation(workspace: $0.workspace, at: $0.at) }
    }

    /// The smallest item of `heap` that is still live in `entries`, after dropping the stale ones above it.
    ///
    /// - Important: Static, with `entries` passed in: as an instance method reading `self` while one of `self`'s
    ///   heaps is passed `inout`, Swift copied all of `self` (a 100 000-item heap) on the first removal.
    private static func liveTop(of heap: inout Heap<Item>, in entries: [WorkspaceName: Entry]) -> Item? {
        while let top = heap.min {
            if entries[top.workspace]?.stamp == top.stamp { return top }
            heap.removeMin()
        }
        return nil
    }

    private mutating func stamp() -> UInt64 {
        nextStamp += 1
        return nextStamp
    }

    private mutating func makeEntry(
        policy: WorkspacePolicy,
        keys: [KeyRecord],
        creationPending: Bool,
        order: UInt64,
        now: Timestamp
    ) -> Entry {
        let active = keys.first { $0.state == .active }
        let graceEnds = keys.compactMap { key in
            key.state == .grace ? (keyID: key.keyID, at: key.graceUntil ?? now) : nil
        }
        return Entry(
            rotationDue: KeyLifecycle.rotationDue(
                of: active,
                policy: policy,
                now: now,
                creationPending: creationPending
            ),
            graceEnds: graceEnds,
            order: order,
            stamp: stamp()
        )
    }
}
