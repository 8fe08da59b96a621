import KeyrotCore

extension SQLiteKeyStore {
    /// Calls `observer` after every committed change to a workspace (on the thread that made the change, outside
    /// its transaction). Observers are kept as long as the store.
    public func observeChanges(_ observer: @escaping @Sendable (CommittedChange) -> Void) {
        observers.withLock { $0.append(observer) }
    }

    /// The order the next commit will get, at least: a snapshot read after asking holds every commit ordered below
    /// it, and may hold the one ordered at it.
    public var commitOrder: UInt64 { commits.load(ordering: .acquiring) }

    func nextCommitOrder() -> UInt64 {
        commits.add(1, ordering: .acquiringAndReleasing).oldValue
    }

    func notifyObservers(_ change: CommittedChange) {
        for observer in observers.withLock({ $0 }) { observer(change) }
    }
}
