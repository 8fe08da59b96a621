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
        /// When the journal received it, in microseconds since the epoch.
        public var receivedAt: UInt64

        public init(hash: String, seq: Int64?, receivedAt: UInt64 = 0) {
            self.hash = hash
            self.seq = seq
            self.receivedAt = receivedAt
        }
    }

    /// How far apart in time two hashes must reach the journal for their order to count. Changes committed at
    /// once are reported by the threads that committed them, so their entries may interleave by a few
    /// milliseconds: a row's hash sent just after a later row's is no finding; one sent a second or more after is.
    public static let orderTolerance: UInt64 = 1_000_000

    /// The most findings reported; past it, ``Finding/more(_:)`` counts the rest.
    public static let maximumFindings = 100

    /// Something the journal shows the chain lacks.
    public enum Finding: Hashable, Sendable, CustomStringConvertible {
        /// The journal holds a hash no row of the chain has.
        case missing(hash: String, journalSeq: Int64?)
        /// The hash of row `seq` was sent after that of a later row, `after`.
        case outOfOrder(hash: String, seq: Int64, after: Int64)
        /// The chain ends at row `head`, but the journal saw row `journal`.
        case headBehind(head: Int64, journal: Int64)
        /// And this many findings more.
        case more(Int)

        public var description: String {
            switch self {
            case .missing(let hash, let seq):
                "the journal holds audit hash \(hash)\(seq.map { " (row \($0))" } ?? "") which the chain lacks"
            case .outOfOrder(let hash, let seq, let after):
                "the journal has audit hash \(hash) of row \(seq) after that of row \(after)"
            case .more(let count):
                "and \(count) more findings"
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
        // The rows seen, in journal order (those from `firstRecent` on are not yet older than the tolerance), and
        // the newest row among the older ones.
        var seen: [(receivedAt: UInt64, seq: Int64)] = []
        var firstRecent = 0
        var newestSettled: Int64 = 0
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
            let settledBefore = entry.receivedAt >= orderTolerance ? entry.receivedAt - orderTolerance : 0
            while firstRecent < seen.count, seen[firstRecent].receivedAt <= settledBefore {
                newestSettled = max(newestSettled, seen[firstRecent].seq)
                firstRecent += 1
            }
            if seq < newestSettled {
                findings.append(.outOfOrder(hash: entry.hash, seq: seq, after: newestSettled))
            }
            seen.append((entry.receivedAt, seq))
        }
        if newestSeen > head { findings.append(.headBehind(head: head, journal: newestSeen)) }
        guard findings.count > maximumFindings else { return findings }
        return Array(findings.prefix(maximumFindings)) + [.more(findings.count - maximumFindings)]
    }
}
