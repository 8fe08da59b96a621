import Foundation
import KeyrotTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The audit log's tail, checked against the journal: `audit_chain_breaks` checks the links between rows that
/// exist, so rows deleted from the end of the chain leave it empty; the hashes keyrotd sent to the journal as each
/// change committed do not go away with them.
@Suite(.serialized, .enabled(if: Repository.runningAsRoot, "the private journald needs root"))
struct AuditJournalTests {
    static let auditJournalMismatch = "f953b2769d4e417c917fee3b8d0a1de3"

    @Test func aTailDeletedFromTheAuditLogIsFoundByTheJournalAtStartAndByKeyrotctl() async throws {
        // One journald for two runs of keyrotd: the first is stopped, its audit log's tail deleted, and the second
        // started on what is left.
        let scratch = try TemporaryDirectory()
        defer { scratch.remove() }
        let firstPID = scratch.path("first.pid")
        let tampered = scratch.path("tampered")
        let daemon = try await JournalTests.JournaledDaemon(
            configuration: "[workspace.acme]\nrotate_every = \"1h\"\n",
            wrapper: [
                "/bin/sh", "-c",
                "\"$@\" & echo $! > '\(firstPID)'; wait $!; while [ ! -e '\(tampered)' ]; do sleep 0.1; done; exec \"$@\"",
                "sh",
            ]
        )
        for _ in 1...3 { #expect(try await daemon.ctlOffPool(["rotate", "acme"]).status == 0) }
        let whole = try await daemon.ctlOffPool(["audit", "verify", "--journal"])
        #expect(whole.status == 0, "\(whole.standardOutput)\(whole.standardError)")
        #expect(whole.standardOutput.contains("all in the chain in order"), "\(whole.standardOutput)")
        #expect(try daemon.shell("SELECT max(seq) FROM audit_log") == "4")

        // The first run stops; an attacker with the database deletes its last two rows (the trigger that forbids
        // it goes first). The chain's own check sees nothing wrong.
        let first = try #require(
            Int32(String(contentsOfFile: firstPID, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines))
        )
        kill(first, SIGTERM)
        #expect(try await DaemonProcess.eventually(timeout: Sanitizer.limit(5)) { kill(first, 0) != 0 })
        let tail = try daemon.shell(
            "DROP TRIGGER audit_log_rejects_delete; DELETE FROM audit_log WHERE seq > 2; SELECT count(*) FROM audit_chain_breaks"
        )
        #expect(tail == "0", "the chain alone cannot tell")
        #expect(FileManager.default.createFile(atPath: tampered, contents: Data()))
        let socket = daemon.socket
        #expect(try await DaemonProcess.eventually(timeout: 30) { (try? RawSocket(path: socket)) != nil })

        // keyrotctl shows it; and keyrotd said so at start, as a critical event.
        let cut = try await daemon.ctlOffPool(["audit", "verify", "--journal"])
        #expect(cut.status == 1, "\(cut.standardOutput)\(cut.standardError)")
        #expect(cut.standardOutput.contains("MISMATCH"), "\(cut.standardOutput)")
        #expect(
            cut.standardOutput.contains("the chain ends at row 2, behind the journal, which saw row 4"),
            "\(cut.standardOutput)"
        )
        #expect(cut.standardOutput.contains("(row 3) which the chain lacks"))
        #expect(
            try await DaemonProcess.eventually(timeout: 10) { daemon.harness.log.contains("audit_journal_mismatch") }
        )

        let entries = try await daemon.stop()
        let mismatch = try #require(entries.first { $0["MESSAGE_ID"] == Self.auditJournalMismatch }, "\(entries)")
        #expect(mismatch["PRIORITY"] == "2")
        #expect(mismatch["KEYROTD_REASON"]?.contains("behind the journal") == true)
        #expect(daemon.explained.contains("keyrotd's audit log does not match the journal"))
        // Every audit hash names the database it is of, which is what the comparison reads.
        let hashed = entries.filter { $0["KEYROTD_AUDIT_HASH"] != nil }
        #expect(!hashed.isEmpty && hashed.allSatisfy { $0["KEYROTD_DATABASE"] == daemon.database })
    }
}
