import Logging
import Testing

@testable import KeyrotSystemd

@Suite struct JournalEntryTests {
    @Test(arguments: [
        ("keyrot.workspace", "KEYROT_WORKSPACE"), ("MESSAGE_ID", "MESSAGE_ID"), ("_PID", "PID"),
        ("9lives", "LIVES"), ("sl-signal", "SL_SIGNAL"), ("ünïcode", "N_CODE"),
        (String(repeating: "a", count: 80), String(repeating: "A", count: 64)),
    ])
    func fieldNamesAreMadeValidForJournald(name: String, field: String) {
        #expect(JournalEntry.fieldName(name) == field)
    }

    @Test(arguments: ["", "_", "__9", "..."])
    func aNameWithNothingUsableIsDropped(name: String) {
        var entry = JournalEntry(message: "m", priority: .info)
        entry.append(name, "value")
        #expect(JournalEntry.fieldName(name) == nil)
        #expect(entry.fields.count == 2)
    }

    @Test func anEntryStartsWithItsMessageAndPriority() {
        var entry = JournalEntry(message: "rotated", priority: .critical)
        entry.append("KEYROTD_WORKSPACE", "acme")
        #expect(entry.fields.map(\.name) == ["MESSAGE", "PRIORITY", "KEYROTD_WORKSPACE"])
        #expect(entry["PRIORITY"] == "2")
        #expect(entry["KEYROTD_WORKSPACE"] == "acme")
    }

    @Test func aLogLineBecomesAStructuredEntryWithEveryMetadataItem() {
        var handler = JournalLogHandler(
            label: "keyrotd",
            identifier: "keyrotd",
            renamingPrefix: ("keyrot.", "KEYROTD_")
        )
        handler.metadata = ["keyrot.state_dir": "/var/lib/keyrotd"]
        let entry = handler.entry(
            for: LogEvent(
                level: .warning,
                message: "control call denied",
                metadata: ["keyrot.workspace": "acme", "peer": "uid 1001"],
                source: "KeyrotDaemon",
                file: "KeyrotDaemon/ControlService.swift",
                function: "requireSigner(_:of:)",
                line: 42
            )
        )
        #expect(entry["MESSAGE"] == "control call denied")
        #expect(entry["PRIORITY"] == "4")
        #expect(entry["SYSLOG_IDENTIFIER"] == "keyrotd")
        #expect(entry["CODE_FILE"] == "KeyrotDaemon/ControlService.swift")
        #expect(entry["CODE_LINE"] == "42")
        #expect(entry["KEYROTD_WORKSPACE"] == "acme")
        #expect(entry["KEYROTD_STATE_DIR"] == "/var/lib/keyrotd")
        #expect(entry["PEER"] == "uid 1001")
    }

    @Test(arguments: [
        (Logger.Level.trace, JournalPriority.debug), (.debug, .debug), (.info, .info), (.notice, .notice),
        (.warning, .warning), (.error, .error), (.critical, .critical),
    ])
    func logLevelsMapToSyslogPriorities(level: Logger.Level, priority: JournalPriority) {
        #expect(JournalPriority(level) == priority)
    }

    @Test(arguments: [
        ("8:12345", true), ("0:1", true), ("8:", false), (":5", false), ("8:x", false), ("8:1:2", false), ("", false),
    ])
    func journalStreamIsDeviceColonInode(value: String, valid: Bool) {
        #expect((JournalStream.parse(value) != nil) == valid)
    }

    @Test func withoutJournalStreamStandardErrorIsNotTheJournal() {
        #expect(!JournalStream.standardErrorIsJournal(environment: [:]))
        #expect(!JournalStream.standardErrorIsJournal(environment: ["JOURNAL_STREAM": "1:1"]))
    }
}
