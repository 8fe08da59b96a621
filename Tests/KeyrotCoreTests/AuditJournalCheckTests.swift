import KeyrotCore
import Testing

@Suite struct AuditJournalCheckTests {
    typealias Hash = AuditJournalCheck.JournalHash

    /// A chain of rows 1...5 whose hashes are "h1"..."h5".
    let chain: [String: Int64] = Dictionary(uniqueKeysWithValues: (1...5).map { ("h\($0)", Int64($0)) })

    func check(_ journal: [Hash], head: Int64 = 5, chain: [String: Int64]? = nil) -> [AuditJournalCheck.Finding] {
        AuditJournalCheck.findings(journal: journal, chainSeq: chain ?? self.chain, head: head)
    }

    @Test func aJournalThatMatchesTheChainShowsNothingEvenWithGapsAndRepeats() {
        // Events without a row of their own (started, stopping) repeat the newest hash; the journal may have lost
        // entries (its rate limit, rotation of its files): neither is a finding.
        let journal = [
            Hash(hash: "h1", seq: 1), Hash(hash: "h1", seq: nil), Hash(hash: "h3", seq: 3), Hash(hash: "h5", seq: 5),
        ]
        #expect(check(journal).isEmpty)
        #expect(check([]).isEmpty)
    }

    @Test func aTailRemovedFromTheDatabaseIsFound() {
        let journal = (1...5).map { Hash(hash: "h\($0)", seq: Int64($0)) }
        let cut = chain.filter { $0.value <= 3 }
        #expect(
            check(journal, head: 3, chain: cut) == [
                .missing(hash: "h4", journalSeq: 4), .missing(hash: "h5", journalSeq: 5),
                .headBehind(head: 3, journal: 5),
            ]
        )
    }

    @Test func aTailReplacedWithOtherRowsIsFoundThoughTheChainIsAsLongAsBefore() {
        var forged = chain.filter { $0.value <= 3 }
        forged["x4"] = 4
        forged["x5"] = 5
        let journal = (1...5).map { Hash(hash: "h\($0)", seq: Int64($0)) }
        #expect(
            check(journal, chain: forged) == [.missing(hash: "h4", journalSeq: 4), .missing(hash: "h5", journalSeq: 5)]
        )
    }

    @Test func aHashSentOutOfOrderOrUnderAnotherRowIsFound() {
        let second: UInt64 = 1_000_000
        #expect(
            check([
                Hash(hash: "h4", seq: 4, receivedAt: 10 * second), Hash(hash: "h2", seq: 2, receivedAt: 11 * second),
            ])
                == [.outOfOrder(hash: "h2", seq: 2, after: 4)]
        )
        #expect(check([Hash(hash: "h2", seq: 3)]) == [.missing(hash: "h2", journalSeq: 3)])
    }

    @Test func rowsCommittedAtOnceMayReachTheJournalInEitherOrder() {
        // Reported by the threads that committed them, a few milliseconds apart.
        let journal = [
            Hash(hash: "h2", seq: 2, receivedAt: 5_000_000), Hash(hash: "h1", seq: 1, receivedAt: 5_000_300),
            Hash(hash: "h4", seq: 4, receivedAt: 5_900_000), Hash(hash: "h3", seq: 3, receivedAt: 5_950_000),
        ]
        #expect(check(journal).isEmpty)
    }

    @Test func findingsAreCappedAndTheRestCounted() {
        let journal = (1...250).map { Hash(hash: "x\($0)", seq: nil) }
        let findings = check(journal)
        #expect(findings.count == AuditJournalCheck.maximumFindings + 1)
        #expect(findings.last == .more(150))
    }

    @Test func aHashOfARowWithoutItsNumberStillMovesTheHeadItWasSeenAt() {
        #expect(check([Hash(hash: "h5", seq: nil)], head: 4, chain: chain) == [.headBehind(head: 4, journal: 5)])
    }
}
