import KeyrotCore
import KeyrotStore
import KeyrotSystemd

#if canImport(Glibc)
import Glibc
#endif

/// Reads the audit hashes keyrotd sent to the journal for this database (`KEYROTD_DATABASE`) and has
/// ``KeyrotCore/AuditJournalCheck`` compare them with the chain.
///
/// - Important: Blocking: it reads the journal's files and the database.
enum JournalAuditComparison {
    /// - Throws: ``KeyrotSystemd/SystemdError`` if the journal cannot be read, ``KeyrotStore/StoreError`` if the
    ///   database cannot.
    static func compare(_ store: any KeyStore) throws -> (hashes: Int, findings: [AuditJournalCheck.Finding]) {
        // Only what keyrotd itself sent counts: `_UID` is set by journald, not by the sender, so another local user
        // cannot plant hashes that would raise false alarms.
        let entries = try JournalReader.entries(
            matching: [(DaemonEvent.databaseField, store.location), ("_UID", "\(geteuid())")],
            fields: ["KEYROTD_AUDIT_HASH", "KEYROTD_AUDIT_SEQ"]
        )
        let journal = entries.compactMap { entry in
            entry.values["KEYROTD_AUDIT_HASH"].map {
                AuditJournalCheck.JournalHash(
                    hash: $0,
                    seq: entry.values["KEYROTD_AUDIT_SEQ"].flatMap { Int64($0) },
                    receivedAt: entry.receivedAt
                )
            }
        }
        let (chainSeq, head) = try store.chainRows(for: journal)
        return (journal.count, AuditJournalCheck.findings(journal: journal, chainSeq: chainSeq, head: head))
    }
}
