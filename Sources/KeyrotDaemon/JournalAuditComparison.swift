import KeyrotCore
import KeyrotStore
import KeyrotSystemd

/// Reads the audit hashes keyrotd sent to the journal for this database (`KEYROTD_DATABASE`) and has
/// ``KeyrotCore/AuditJournalCheck`` compare them with the chain.
///
/// - Important: Blocking: it reads the journal's files and the database.
enum JournalAuditComparison {
    /// - Throws: ``KeyrotSystemd/SystemdError`` if the journal cannot be read, ``KeyrotStore/StoreError`` if the
    ///   database cannot.
    static func compare(_ store: KeyStore) throws -> (hashes: Int, findings: [AuditJournalCheck.Finding]) {
        let entries = try JournalReader.entries(
            where: DaemonEvent.databaseField,
            is: store.path,
            fields: ["KEYROTD_AUDIT_HASH", "KEYROTD_AUDIT_SEQ"]
        )
        let journal = entries.compactMap { values in
            values["KEYROTD_AUDIT_HASH"].map {
                AuditJournalCheck.JournalHash(hash: $0, seq: values["KEYROTD_AUDIT_SEQ"].flatMap { Int64($0) })
            }
        }
        let (chainSeq, head) = try store.chainRows(for: journal)
        return (journal.count, AuditJournalCheck.findings(journal: journal, chainSeq: chainSeq, head: head))
    }
}
