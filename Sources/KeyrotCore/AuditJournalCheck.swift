/// Compares the audit hashes keyrotd sent to the journal with its database's hash chain.
///
/// The chain alone (`audit_chain_breaks`) proves that each row links to the one before it: nothing between two
/// rows was changed, removed or inserted. It cannot show rows removed from its end, a database replaced by an
/// older copy, or rows appended by someone who recomputed the links: a chain cut short, or extended, is still
/// whole. The journal, written as each change committed, can: every hash it holds must be in the chain, in the
/// order it was sent, and the chain's head must not be behind the newest of them.
///
/// Pure: the caller reads the journal and looks the hashes up in the database.
public enum AuditJournalCheck {
    /// One journal entry's hash: the chain's hash after the event, and the audit row's number where the event is
    /// an audited change (`KEYROTD_AUDIT_SEQ`).
    public struct JournalHash: Hashable, Sendable {
        public var hash: String
        public var seq: Int64?

        public init(hash: String, seq: Int64?) {
            self.hash = hash
            self.seq = seq
        }
    }

    /// Something the journal shows the chain lacks.
    public enum Finding: Hashable, Sendable, CustomStringConvertible {
        /// The journal holds a hash no row of the chain has.
        case missing(hash: String, journalSeq: Int64?)
        /// The hash of row `seq` was sent after that of a later row, `after`.
        case outOfOrder(hash: String, seq: Int64, after: Int64)
        /// The chain ends at row `head`, but the journal saw row `journal`.
        case headBehind(head: Int64, journal: Int64)

        public var description: String {
            switch self {
            case .missing(let hash, let seq):
                "the journal holds audit hash \(hash)\(seq.map { " (row \($0))" } ?? "") which the chain lacks"
            case .outOfOrder(let hash, let seq, let after):
                "the journal has audit hash \(hash) of row \(seq) after that of row \(after)"
            case .headBehind(let head, let journal):
                "the chain ends at row \(head), behind the journal, which saw row \(journal): rows were removed "
                    + "from its end, or the database was replaced by an older copy"
            }
        }
    }

    /// What the journal shows.
    ///
    /// - Parameters:
    ///   - journal: the hashes in the journal, in the order they were sent.
    ///   - chainSeq: the row of the chain whose hash each is, for those the chain has.
    ///   - head: the chain's newest row (0 for an empty chain).
    public static func findings(
        journal: [JournalHash],
        chainSeq: [String: Int64],
        head: Int64
    ) -> [Finding] {
        var findings: [Finding] = []
        var missing: Set<String> = []
        var newest: Int64 = 0
        var newestSeen: Int64 = 0
        for entry in journal {
            newestSeen = max(newestSeen, entry.seq ?? 0)
            guard let seq = chainSeq[entry.hash], entry.seq.map({ $0 == seq }) ?? true else {
                if missing.insert(entry.hash).inserted {
                    findings.append(.missing(hash: entry.hash, journalSeq: entry.seq))
                }
                continue
            }
            newestSeen = max(newestSeen, seq)
            if seq < newest {
                findings.append(.outOfOrder(hash: entry.hash, seq: seq, after: newest))
            }
            newest = max(newest, seq)
        }
        if newestSeen > head { findings.append(.headBehind(head: head, journal: newestSeen)) }
        return findings
    }
}
