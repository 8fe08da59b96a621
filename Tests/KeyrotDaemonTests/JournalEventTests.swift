import Foundation
import KeyrotCore
import KeyrotDaemon
import KeyrotTestSupport
import Testing

/// The journal events' fixed identities, their catalog, and what each entry carries.
@Suite struct JournalEventTests {
    /// `systemd/keyrotd.catalog` as journalctl reads it: MESSAGE_ID to the entry's header lines and body.
    static func catalog() throws -> [String: (headers: [String: String], body: String)] {
        let text = try String(contentsOfFile: Repository.path("systemd/keyrotd.catalog"), encoding: .utf8)
        var entries: [String: (headers: [String: String], body: String)] = [:]
        for section in text.components(separatedBy: "\n-- ").dropFirst() {
            let lines = section.split(separator: "\n", omittingEmptySubsequences: false)
            let id = String(lines[0]).trimmingCharacters(in: .whitespaces)
            var headers: [String: String] = [:]
            var rest = lines.dropFirst()
            while let line = rest.first, let colon = line.firstIndex(of: ":"), !line.isEmpty {
                headers[String(line[..<colon])] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
                rest = rest.dropFirst()
            }
            #expect(entries[id] == nil, "MESSAGE_ID \(id) is in the catalog twice")
            entries[id] = (headers, rest.joined(separator: "\n"))
        }
        return entries
    }

    @Test func everyEventHasItsOwnValidMessageID() {
        let ids = JournalEvent.allCases.map(\.messageID)
        #expect(Set(ids).count == ids.count)
        for id in ids {
            #expect(id.count == 32 && id.allSatisfy { $0.isHexDigit && !$0.isUppercase }, "\(id)")
        }
    }

    @Test func theCatalogExplainsEveryEventAndNothingElse() throws {
        let catalog = try Self.catalog()
        #expect(Set(catalog.keys) == Set(JournalEvent.allCases.map(\.messageID)))
        for event in JournalEvent.allCases {
            let entry = try #require(catalog[event.messageID], "no catalog entry for \(event.rawValue)")
            #expect(entry.headers["Subject"]?.isEmpty == false, "\(event.rawValue)")
            #expect(entry.headers["Defined-By"] == "keyrotd")
            #expect(entry.headers["Support"] != nil && entry.headers["Documentation"] != nil)
            #expect(entry.body.trimmingCharacters(in: .whitespacesAndNewlines).count > 80, "\(event.rawValue)")
            // Every @FIELD@ a catalog entry quotes is one keyrotd sends.
            let fields = (entry.headers["Subject"]! + entry.body).split(
                separator: "@",
                omittingEmptySubsequences: false
            )
            .enumerated().filter { $0.offset % 2 == 1 }.map { String($0.element) }
            for field in fields {
                #expect(DaemonEvent.fieldNames.contains(field), "\(event.rawValue) quotes @\(field)@")
            }
        }
    }

    @Test(arguments: [
        (JournalEvent.leakFlagged, 2), (.rotationFailed, 3), (.storeUnhealthy, 3), (.revokedKeyPresented, 4),
        (.emergencyRotated, 4), (.rotated, 5), (.started, 5), (.graceExpired, 6),
    ])
    func prioritiesFitTheEvent(event: JournalEvent, priority: Int) {
        #expect(event.priority.rawValue == priority)
    }

    @Test func anAuditedRotationCarriesEveryFieldAnOperatorAlertsOn() throws {
        let entry = AuditEntry(
            seq: 7,
            at: DaemonFixture.t0,
            workspace: try WorkspaceName("acme"),
            event: .rotated,
            keyID: "acme.3",
            previousKeyID: "acme.2",
            reason: "scheduled",
            detail: nil,
            actor: AuditActor(uid: 0, pid: 4242),
            chainHash: String(repeating: "ab", count: 32)
        )
        let journal = DaemonEvent(entry).journalEntry
        #expect(journal["MESSAGE_ID"] == JournalEvent.rotated.messageID)
        #expect(journal["PRIORITY"] == "5")
        #expect(journal["SYSLOG_IDENTIFIER"] == "keyrotd")
        #expect(journal["KEYROTD_EVENT"] == "rotated")
        #expect(journal["KEYROTD_WORKSPACE"] == "acme")
        #expect(journal["KEYROTD_KEY_ID"] == "acme.3")
        #expect(journal["KEYROTD_PREVIOUS_KEY_ID"] == "acme.2")
        #expect(journal["KEYROTD_REASON"] == "scheduled")
        #expect(journal["KEYROTD_ACTOR_UID"] == "0")
        #expect(journal["KEYROTD_ACTOR_PID"] == "4242")
        #expect(journal["KEYROTD_AUDIT_SEQ"] == "7")
        #expect(journal["KEYROTD_AUDIT_HASH"] == String(repeating: "ab", count: 32))
        #expect(journal["MESSAGE"]?.contains("acme rotated to key acme.3") == true)
        #expect(DaemonEvent(entry).logMetadata["keyrot.previous_key_id"] == "acme.2")
    }
}
