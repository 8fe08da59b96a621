/// Revocations asked for while the store could not take them (a full disk, a read-only state directory). A leaked
/// key must stop verifying at once, not when the disk has room again: each such key is refused in memory from the
/// moment it is asked (``refusedKeyIDs(in:)``: its tokens are rejected and it signs nothing), and the request is
/// tried again, at growing intervals of at most ``longestDelay``, until the store takes it with its audit row.
///
/// Pure: the caller passes `now`, and asks the store.
public struct PendingRevocations: Sendable {
    /// One revocation the store has not taken yet.
    public struct Entry: Hashable, Sendable, Codable {
        public var workspace: String
        public var keyID: String
        /// Flagged as leaked (`flag-leak`), or revoked plainly (`revoke`).
        public var leaked: Bool
        public var reason: String?
        public var actorUID: Int64
        public var actorPID: Int64
        public var askedAt: Int64
        /// The keys refused in memory meanwhile: those the revocation revokes.
        public var refusedKeyIDs: Set<String>
        public var attempts: Int
        public var nextAttempt: Int64

        /// The request to make of the lifecycle again.
        public var request: LifecycleRequest {
            leaked ? .flagLeak(keyID: keyID, reason: reason) : .revoke(keyID: keyID, reason: reason)
        }

        public var actor: AuditActor { AuditActor(uid: actorUID, pid: actorPID) }
    }

    /// The longest wait between two attempts.
    public static let longestDelay = TimeSpan.seconds(30)

    public private(set) var entries: [Entry]

    public init(entries: [Entry] = []) {
        self.entries = entries
    }

    public var isEmpty: Bool { entries.isEmpty }

    /// Adds the revocation `request` of `keyID` in `workspace`, which the lifecycle decided as `decision` (nil if
    /// the store could not even be read) but the store could not take at `now`; returns the keys now refused in
    /// memory: those the decision revokes, and `keyID` in any case. A revocation of a key already pending is not
    /// added twice.
    @discardableResult
    public mutating func add(
        _ decision: LifecycleDecision?,
        of keyID: String,
        in workspace: WorkspaceName,
        leaked: Bool,
        reason: String?,
        actor: AuditActor,
        at now: Timestamp
    ) -> Set<String> {
        var refused = Set(
            (decision?.changes ?? []).compactMap { change -> String? in
                if case .revoke(let revoked, _) = change { return revoked }
                return nil
            }
        )
        // A leak flag on a revoked key revokes nothing more, but the key stays refused all the same.
        refused.insert(keyID)
        if let index = entries.firstIndex(where: { $0.workspace == workspace.rawValue && $0.keyID == keyID }) {
            if leaked && !entries[index].leaked {
                entries[index].leaked = true
                entries[index].reason = reason  // the leak flag's reason is the one the audit row needs
            }
            entries[index].refusedKeyIDs.formUnion(refused)
            return entries[index].refusedKeyIDs
        }
        entries.append(
            Entry(
                workspace: workspace.rawValue,
                keyID: keyID,
                leaked: leaked,
                reason: reason,
                actorUID: actor.uid,
                actorPID: actor.pid,
                askedAt: now.secondsSinceEpoch,
                refusedKeyIDs: refused,
                attempts: 0,
                nextAttempt: (now + .seconds(1)).secondsSinceEpoch
            )
        )
        return refused
    }

    /// Every key of `workspace` refused in memory.
    public func refusedKeyIDs(in workspace: WorkspaceName) -> Set<String> {
        entries.filter { $0.workspace == workspace.rawValue }.reduce(into: []) { $0.formUnion($1.refusedKeyIDs) }
    }

    /// The entries due for another attempt at `now`, oldest first.
    public func due(at now: Timestamp) -> [Entry] {
        entries.filter { $0.nextAttempt <= now.secondsSinceEpoch }
    }

    /// When the next attempt is due, if any is pending.
    public var nextAttempt: Timestamp? {
        entries.map(\.nextAttempt).min().map(Timestamp.init(secondsSinceEpoch:))
    }

    /// The store took `entry` (or refused it for good: the key is revoked already, say): it is pending no more,
    /// unless it was added to meanwhile (a leak flag on a revocation being retried): then what was added is
    /// tried next, at once.
    public mutating func settled(_ entry: Entry) {
        guard let index = entries.firstIndex(where: { $0.workspace == entry.workspace && $0.keyID == entry.keyID })
        else { return }
        let current = entries[index]
        if current.leaked == entry.leaked && current.refusedKeyIDs == entry.refusedKeyIDs {
            entries.remove(at: index)
        } else {
            entries[index].nextAttempt = entry.nextAttempt
        }
    }

    /// The store could not take `entry` at `now`: the next attempt waits twice as long as the last, at most
    /// ``longestDelay``.
    public mutating func failed(_ entry: Entry, at now: Timestamp) {
        guard let index = entries.firstIndex(where: { $0.workspace == entry.workspace && $0.keyID == entry.keyID })
        else { return }
        entries[index].attempts += 1
        let delay = min(Int64(1) << min(entries[index].attempts, 16), Self.longestDelay.seconds)
        entries[index].nextAttempt = (now + .seconds(delay)).secondsSinceEpoch
    }

    /// The store works again (after a full disk, say): every revocation is due at `now`, not after the backoff its
    /// failures built up while it could not (up to ``longestDelay``, with the key refused in memory only).
    public mutating func storeRecovered(at now: Timestamp) {
        for index in entries.indices {
            entries[index].nextAttempt = min(entries[index].nextAttempt, now.secondsSinceEpoch)
        }
    }
}
