import Foundation

/// Where keyrotd keeps its workspaces, their sealed keys and the hash-chained audit log: the contract the SQLite store
/// (KeyrotStore, the embedded default) and the PostgreSQL store (KeyrotPostgres, for several hosts) both keep, so the
/// daemon runs on either and decides nothing differently.
///
/// - Important: Every write is one intention and one transaction together with its audit rows: the store re-reads the
///   workspace inside the transaction, asks ``KeyLifecycle``, applies its changes and decides nothing itself. A change
///   is durable before the method returns. The methods block: call them from a thread of their own, never from
///   Swift's cooperative pool.
public protocol KeyStore: AnyObject, Sendable {
    /// Where the store is, for messages and journal fields: a file path, or a database address without its password.
    var location: String { get }

    /// Carries out `request` on workspace `name` in one transaction: re-reads the workspace inside it, asks
    /// ``KeyLifecycle/decide(_:for:current:at:isKeyIDTaken:)``, applies the changes and appends the audit rows. Once
    /// a change is committed, every ``observeChanges(_:)`` observer hears of it.
    ///
    /// - Parameter sealImported: seals an imported secret for its final key id (only an import needs it).
    /// - Returns: the decision, the audit rows as written (none when there was nothing to do), and the commit's place
    ///   in the store's order of commits.
    /// - Throws: the lifecycle's refusal (``StoreError/refused(_:)``), or a store or database error; either way
    ///   nothing was changed.
    func perform(
        _ request: LifecycleRequest,
        on name: WorkspaceName,
        at now: Timestamp,
        actor: AuditActor,
        sealImported: ((_ keyID: String) throws -> Data)?
    ) throws(StoreError) -> LifecycleOutcome

    /// What `request` would do to the workspace as it is stored now, read without writing: so a refusal (a key that
    /// does not exist, or is revoked already) is known even while the store cannot take a change.
    func decision(
        for request: LifecycleRequest,
        on name: WorkspaceName,
        at now: Timestamp
    ) throws(StoreError) -> LifecycleDecision

    /// What the scheduler needs, read in one snapshot.
    func scheduleSnapshot() throws(StoreError) -> ScheduleSnapshot

    /// The workspace's policy.
    func policy(of name: WorkspaceName) throws(StoreError) -> WorkspacePolicy

    /// Every key of the workspace, in every state, oldest first.
    func keyRing(of name: WorkspaceName) throws(StoreError) -> KeyRing

    /// The newest audit rows, oldest first: at most `limit`, of one workspace or of all.
    func history(of name: WorkspaceName?, limit: Int) throws(StoreError) -> [AuditEntry]

    /// The sequence numbers the `audit_chain_breaks` view reports: empty means the audit chain is intact.
    func auditChainBreaks() throws(StoreError) -> [Int64]

    /// The workspace's policy, keys and sealed secrets, for signing and verifying.
    func workspaceKeys(of name: WorkspaceName) throws(StoreError) -> WorkspaceKeys

    /// Records that tokens signed with `keyID` may live until `until`, so its grace window, once it is replaced,
    /// lasts at least that long. Never lowers the bound; only for a key that still signs. Bookkeeping, not a change
    /// of state: it writes no audit row.
    ///
    /// - Returns: false if the key is no longer active (a rotation came first): sign with the new key instead.
    func recordTokensValid(until: Timestamp, keyID: String, of name: WorkspaceName) throws(StoreError) -> Bool

    /// Proves the store still takes commits at `now` (it records a heartbeat of `pid`), or throws why it does not.
    /// The heartbeat changes nothing a reader caches.
    func checkHealth(at now: Timestamp, pid: Int64) throws(StoreError)

    /// Every workspace that has a provider, whole (keys and provider jobs), as one snapshot.
    func providerWorkspaces() throws(StoreError) -> [WorkspaceState]

    /// What ``AuditJournalCheck`` needs of the chain, read in one snapshot: the row each of the journal's hashes is,
    /// and the chain's newest row.
    func chainRows(
        for journal: [AuditJournalCheck.JournalHash]
    ) throws(StoreError) -> (
        chainSeq: [String: Int64], head: Int64
    )

    /// Re-seals every key that still has material, and the master-key canary, under a new master key, and appends a
    /// `master_key_rotated` audit row, all in one transaction.
    ///
    /// - Returns: how many keys were re-sealed, and the audit row.
    func rekey(
        with resealer: any KeyResealer,
        actor: AuditActor,
        at now: Timestamp
    ) throws(StoreError) -> (resealed: Int, entry: AuditEntry)

    /// Calls `observer` after every committed change to a workspace, this process's and, on a store that several
    /// hosts share, every other host's as soon as this one learns of it. Observers are kept as long as the store.
    func observeChanges(_ observer: @escaping @Sendable (CommittedChange) -> Void)

    /// The order the next commit will get, at least: a snapshot read after asking holds every commit ordered below
    /// it, and may hold the one ordered at it.
    var commitOrder: UInt64 { get }

    /// A number that moves on whenever workspace `name` may have changed (its policy, its keys), and only then: a
    /// cache of the workspace read at a revision is current while this still returns it.
    func revision(of name: WorkspaceName) -> UInt64

    /// Whether destroyed key material may still be somewhere the store cannot yet overwrite.
    var isPurgePending: Bool { get }

    /// Lets go of the database; every later use throws.
    func close() throws(StoreError)

    /// Whether this process runs the rotation scheduler now: always, on a store only it uses; on a store several
    /// hosts share, while it holds the store's scheduler lease (it tries to take a free one). Manual and emergency
    /// rotations run on every host either way.
    func holdsSchedulerLease() -> Bool
}

/// What the scheduler reads in one snapshot: every workspace's policy and its live keys (pending, active, grace),
/// the workspaces whose next key is being created at their provider, and the ``KeyStore/commitOrder`` asked for
/// just before the snapshot was read.
public typealias ScheduleSnapshot = (
    policies: [WorkspaceName: WorkspacePolicy], liveKeys: [KeyRecord], rotationsInFlight: Set<WorkspaceName>,
    order: UInt64
)

extension KeyStore {
    /// ``perform(_:on:at:actor:sealImported:)`` of a request that imports no secret.
    public func perform(
        _ request: LifecycleRequest,
        on name: WorkspaceName,
        at now: Timestamp,
        actor: AuditActor
    ) throws(StoreError) -> LifecycleOutcome {
        try perform(request, on: name, at: now, actor: actor, sealImported: nil)
    }

    /// The newest audit rows of every workspace, oldest first: at most `limit`.
    public func history(limit: Int = 100) throws(StoreError) -> [AuditEntry] {
        try history(of: nil, limit: limit)
    }

    /// The newest 100 audit rows of workspace `name`, oldest first.
    public func history(of name: WorkspaceName) throws(StoreError) -> [AuditEntry] {
        try history(of: name, limit: 100)
    }
}
