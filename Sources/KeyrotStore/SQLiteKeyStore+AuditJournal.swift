import GRDB
import KeyrotCore

extension SQLiteKeyStore {
    /// What ``KeyrotCore/AuditJournalCheck`` needs of the chain, read in one snapshot: the row each of the
    /// journal's hashes is (by its row number where the journal gave one, a primary-key look-up; else by hash,
    /// for the few events without a row of their own), and the chain's newest row.
    public func chainRows(
        for journal: [AuditJournalCheck.JournalHash]
    ) throws(StoreError) -> (chainSeq: [String: Int64], head: Int64) {
        try read { db in
            var chainSeq: [String: Int64] = [:]
            let numbered = Set(journal.compactMap(\.seq))
            for chunk in Array(numbered).chunked(into: 500) {
                let rows = try Row.fetchCursor(
                    db,
                    sql:
                        "SELECT seq, lower(hex(hash)) AS hash FROM audit_log WHERE seq IN (\(Self.placeholders(chunk.count)))",
                    arguments: StatementArguments(chunk)
                )
                while let row = try rows.next() { chainSeq[row["hash"]] = row["seq"] }
            }
            let unnumbered = Set(journal.filter { $0.seq == nil && chainSeq[$0.hash] == nil }.map(\.hash))
            for chunk in Array(unnumbered).chunked(into: 500) {
                let rows = try Row.fetchCursor(
                    db,
                    sql: """
                        SELECT seq, lower(hex(hash)) AS hash FROM audit_log
                        WHERE lower(hex(hash)) IN (\(Self.placeholders(chunk.count)))
                        """,
                    arguments: StatementArguments(chunk)
                )
                while let row = try rows.next() { chainSeq[row["hash"]] = row["seq"] }
            }
            let head = try Int64.fetchOne(db, sql: "SELECT coalesce(max(seq), 0) FROM audit_log") ?? 0
            return (chainSeq, head)
        }
    }

    private static func placeholders(_ count: Int) -> String {
        Array(repeating: "?", count: count).joined(separator: ",")
    }
}

extension Array {
    /// The array in consecutive pieces of at most `size` elements.
    fileprivate func chunked(into size: Int) -> [ArraySlice<Element>] {
        stride(from: 0, to: count, by: size).map { self[$0..<Swift.min($0 + size, count)] }
    }
}
