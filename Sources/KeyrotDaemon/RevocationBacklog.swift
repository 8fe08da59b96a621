import Foundation
import KeyrotCore
import KeyrotStore
import Logging
import NIOConcurrencyHelpers

#if canImport(Glibc)
import Glibc
#endif

/// Carries out ``KeyrotCore/PendingRevocations``: a revocation the store cannot take (a full disk) is refused in
/// the token service's memory at once, announced (a critical `revocation_pending` event, the status line, the
/// reply), kept in the runtime directory so that a restart (systemd's, when the watchdog pings stop) does not
/// forget it, and tried again by the scheduler's passes until the store takes it with its audit row.
public final class RevocationBacklog: Sendable {
    /// Where pending revocations survive a restart: `$RUNTIME_DIRECTORY` (a tmpfs, `/run/keyrotd`, which has room
    /// when the state directory's disk has none); nil where there is no such directory (`--dev`).
    let file: String?
    private let store: any KeyStore
    private let tokens: TokenService
    private let events: EventReporter
    private let status: ServiceStatus
    private let wake: WakeSignal
    private let logger: Logger
    private let pending: NIOLockedValueBox<PendingRevocations>

    static let fileName = "pending-revocations.json"

    init(
        runtimeDirectory: String?,
        store: any KeyStore,
        tokens: TokenService,
        events: EventReporter,
        status: ServiceStatus,
        wake: WakeSignal,
        logger: Logger
    ) {
        file = runtimeDirectory.map { $0 + "/" + Self.fileName }
        self.store = store
        self.tokens = tokens
        self.events = events
        self.status = status
        self.wake = wake
        self.logger = logger
        var loaded = PendingRevocations()
        if let file, let data = FileManager.default.contents(atPath: file) {
            do {
                loaded = PendingRevocations(
                    entries: try JSONDecoder().decode([PendingRevocations.Entry].self, from: data)
                )
            } catch {
                logger.error(
                    "the pending revocations left by an earlier run cannot be read",
                    metadata: ["keyrot.file": "\(file)", "keyrot.error": "\(error)"]
                )
            }
        }
        pending = NIOLockedValueBox(loaded)
        if !loaded.isEmpty {
            _ = changing { _ in }  // the refusals in force, the status line said
            logger.warning(
                "revocations an earlier run could not store are in force again, and are retried",
                metadata: ["keyrot.key_ids": "\(loaded.entries.map(\.keyID).joined(separator: ", "))"]
            )
        }
    }

    /// Holds the revocation of `keyID` that the store could not take at `now` because of `problem`: its keys are
    /// refused in memory from now on, and the scheduler retries it.
    ///
    /// - Throws: the lifecycle's refusal, as the store reads the workspace (a key that does not exist, or is
    ///   revoked already). A store that cannot even be read refuses nothing: then `keyID` alone is refused.
    func hold(
        keyID: String,
        of workspace: WorkspaceName,
        leaked: Bool,
        reason: String?,
        actor: AuditActor,
        at now: Timestamp,
        because problem: String
    ) throws(StoreError) {
        let request: LifecycleRequest =
            leaked ? .flagLeak(keyID: keyID, reason: reason) : .revoke(keyID: keyID, reason: reason)
        let decision: LifecycleDecision?
        do {
            decision = try store.decision(for: request, on: workspace, at: now)
        } catch {
            if case .refused = error { throw error }
            decision = nil
        }
        let (refused, kept) = changing { pending in
            pending.add(decision, of: keyID, in: workspace, leaked: leaked, reason: reason, actor: actor, at: now)
        }
        events.report(
            DaemonEvent(
                .revocationPending,
                "the revocation of key \(keyID) of workspace \(workspace) is not yet durable: \(problem); "
                    + "\(refused.sorted().joined(separator: ", ")) refused in memory meanwhile"
                    + (kept ? "" : " (and a restart before it is stored would forget it)"),
                workspace: workspace,
                keyID: keyID,
                reason: problem,
                actor: actor
            )
        )
        wake.signal()
    }

    /// Tries again every pending revocation due at `now` (on the scheduler's thread: it writes to the store).
    func retryDue(at now: Timestamp) {
        let due = pending.withLockedValue { $0.due(at: now) }
        for entry in due {
            guard let workspace = try? WorkspaceName(entry.workspace) else {
                // Only a file edited by hand can hold one: keeping it would retry it forever.
                logger.error(
                    "a pending revocation names no valid workspace",
                    metadata: ["keyrot.key_id": "\(entry.keyID)"]
                )
                _ = changing { $0.settled(entry) }
                continue
            }
            do throws(StoreError) {
                let outcome = try store.perform(entry.request, on: workspace, at: now, actor: entry.actor)
                _ = changing { $0.settled(entry) }
                events.report(outcome.entries)
            } catch {
                if case .refused(let refusal) = error {
                    // Revoked meanwhile (another call, a restart's retry): nothing is left to store.
                    logger.notice(
                        "a pending revocation needs storing no more",
                        metadata: ["keyrot.key_id": "\(entry.keyID)", "keyrot.reason": "\(refusal)"]
                    )
                    _ = changing { $0.settled(entry) }
                } else {
                    _ = changing { $0.failed(entry, at: now) }
                }
            }
        }
    }

    /// Applies `change` to the pending revocations and, under the same lock (so that two changes at once cannot
    /// undo each other's refusals, or write the file over each other), puts the result in force: the token
    /// service's refusals for every workspace concerned, the file kept for a restart, and the status line.
    /// Returns what `change` returned, and whether the file was written.
    private func changing<Result>(_ change: (inout PendingRevocations) -> Result) -> (Result, Bool) {
        pending.withLockedValue { pending in
            let before = Set(pending.entries.map(\.workspace))
            let result = change(&pending)
            for name in before.union(pending.entries.map(\.workspace)) {
                guard let workspace = try? WorkspaceName(name) else { continue }
                tokens.refuseInMemory(pending.refusedKeyIDs(in: workspace), of: workspace)
            }
            let kept = persist(pending)
            status.revocationsPending(Self.summary(pending))
            return (result, kept)
        }
    }

    /// The store works again: every pending revocation is tried at the scheduler's next pass.
    func storeRecovered(at now: Timestamp) {
        _ = changing { $0.storeRecovered(at: now) }
    }

    /// When the next retry is due, if any revocation is pending.
    var nextAttempt: Timestamp? { pending.withLockedValue { $0.nextAttempt } }

    /// Writes the pending revocations to ``file`` (a new file renamed over the old; called under the lock, so one
    /// writer at a time), or removes it when none is left; whether they are kept.
    private func persist(_ snapshot: PendingRevocations) -> Bool {
        guard let file else { return false }
        if snapshot.isEmpty {
            unlink(file)
            return true
        }
        do {
            let staging = file + ".new"
            try JSONEncoder().encode(snapshot.entries).write(to: URL(fileURLWithPath: staging))
            guard rename(staging, file) == 0 else {
                throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO)
            }
            return true
        } catch {
            logger.error(
                "the pending revocations cannot be kept for a restart",
                metadata: ["keyrot.file": "\(file)", "keyrot.error": "\(error)"]
            )
            return false
        }
    }

    /// The status line's words for what is pending, or nil.
    static func summary(_ pending: PendingRevocations) -> String? {
        guard !pending.isEmpty else { return nil }
        let keys = pending.entries.map(\.keyID).joined(separator: ", ")
        return "revocation of \(keys) not yet durable (refused in memory; retrying)"
    }
}
