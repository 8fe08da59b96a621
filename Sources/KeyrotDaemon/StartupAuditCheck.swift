import KeyrotCore
import KeyrotStore
import Logging
import NIOPosix
import ServiceLifecycle

/// Once keyrotd serves, compares its audit chain with the audit hashes it sent to the journal in earlier runs
/// (``JournalAuditComparison``): a chain whose end was cut off, or a database replaced by an older copy, is
/// reported as a critical `audit_journal_mismatch` event. It never holds up start-up or shutdown.
struct StartupAuditCheck: Service {
    let store: any KeyStore
    let events: EventReporter
    let logger: Logger
    /// Where the check runs: it reads the journal's files and the database.
    let pool: NIOThreadPool
    /// Waited for first: the check starts once keyrotd serves.
    let serving: WakeSignal

    func run() async throws {
        try? await cancelWhenGracefulShutdown { try await check() }
        // Done, it still returns only when its turn to stop comes: a service of the group that returns while the
        // group shuts down the ones after it fails the shutdown ("finished unexpectedly").
        try? await gracefulShutdown()
    }

    private func check() async throws {
        await serving.wait()
        try Task.checkCancellation()
        try await pool.runIfActive { [store, events, logger] in
            do {
                let (hashes, findings) = try JournalAuditComparison.compare(store)
                guard !findings.isEmpty else {
                    logger.info(
                        hashes == 0
                            ? "the journal holds no audit hash of this database yet (or keyrotd cannot read the journal): nothing to compare"
                            : "the audit chain matches the journal",
                        metadata: ["keyrot.journal_hashes": "\(hashes)"]
                    )
                    return
                }
                let summary = findings.map(\.description).joined(separator: "; ")
                events.report(
                    DaemonEvent(
                        .auditJournalMismatch,
                        "the audit log does not match the journal (\(findings.count) of \(hashes) journal hashes "
                            + "or its head): \(summary)",
                        reason: summary
                    )
                )
            } catch {
                logger.warning(
                    "the audit chain could not be compared with the journal",
                    metadata: ["keyrot.error": "\(error)"]
                )
            }
        }
    }
}
