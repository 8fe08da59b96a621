import Foundation
import KeyrotTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// keyrotd beside a real, private systemd-journald (`Tests/Harness/private-journald`): the events an operator
/// alerts on, with their fields and their catalog text.
@Suite(.serialized, .enabled(if: Repository.runningAsRoot, "the private journald needs root"))
struct JournalTests {
    static let rotated = "a64ff40cf2dc4a9db4909e06db3dca7d"
    static let leakFlagged = "b35435fde85c4699b13c32c538b3a677"
    static let revokedKeyPresented = "c3017a23f243483380385612383e6a85"
    static let started = "2a05f9e23b924aa9bc52d26664ecec37"
    static let stopping = "3f7d09c6003446ec86318ce1dd16590f"

    /// A daemon (or `keyrotd` under `wrapper`) run by the harness until the test stops it; then the journal.
    final class JournaledDaemon {
        let directory: TemporaryDirectory
        let harness: DaemonProcess
        var socket: String { directory.path("state/control.sock") }
        var database: String { directory.path("state/keyrotd.db") }

        init(configuration: String, wrapper: [String] = []) async throws {
            directory = try TemporaryDirectory()
            try configuration.write(toFile: directory.path("keyrotd.toml"), atomically: true, encoding: .utf8)
            let daemon = [
                DaemonProcess.builtBinary, "--dev", "--state-dir", directory.path("state"),
                "--config", directory.path("keyrotd.toml"),
            ]
            harness = try DaemonProcess(
                executable: Repository.path("Tests/Harness/private-journald"),
                arguments: [
                    "-o", directory.path("journal.json"), "-x", directory.path("explained.txt"),
                    "-C", Repository.path("systemd/keyrotd.catalog"), "-p", directory.path("pid"), "--",
                ] + wrapper + daemon,
                logFile: directory.path("log")
            )
            let socket = self.socket
            let up = try await DaemonProcess.eventually(timeout: 30) {
                (try? RawSocket(path: socket)) != nil
            }
            guard up else { throw RawSocketError.failed("daemon did not start: \(harness.log)", 0) }
        }

        func ctl(_ arguments: [String], input: String = "") throws -> ProcessResult {
            try ProcessResult.run(DaemonProcess.builtControlBinary, ["--socket", socket] + arguments, input: input)
        }

        /// ``ctl(_:input:)`` without holding a cooperative thread while keyrotctl runs.
        func ctlOffPool(_ arguments: [String], input: String = "") async throws -> ProcessResult {
            try await ProcessResult.runOffPool(
                DaemonProcess.builtControlBinary,
                ["--socket", socket] + arguments,
                input: input
            )
        }

        func shell(_ sql: String) throws -> String {
            try SQLiteShell.query(sql, database: database)
        }

        /// Stops the daemon with SIGTERM (by the pid the harness wrote) and returns the journal's entries.
        func stop() async throws -> [[String: String]] {
            let pid = try #require(
                Int32(
                    String(contentsOfFile: directory.path("pid"), encoding: .utf8).trimmingCharacters(
                        in: .whitespacesAndNewlines
                    )
                )
            )
            kill(pid, SIGTERM)
            #expect(try await harness.waitForExit(timeout: 20) == 0, "log: \(harness.log)")
            let lines = try String(contentsOfFile: directory.path("journal.json"), encoding: .utf8).split(
                separator: "\n"
            )
            return try lines.map { line in
                let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] ?? [:]
                return object.compactMapValues { $0 as? String }
            }
        }

        var explained: String { (try? String(contentsOfFile: directory.path("explained.txt"), encoding: .utf8)) ?? "" }
    }

    @Test func rotationsLeaksAndRevokedKeysLeaveEntriesWithEveryFieldAndTheirCatalogText() async throws {
        let daemon = try await JournaledDaemon(
            configuration: "[workspace.acme]\nrotate_every = \"2s\"\ngrace = \"1h\"\n"
        )
        defer { daemon.directory.remove() }
        let signed =
            try JSONSerialization.jsonObject(
                with: Data(try daemon.ctl(["--json", "sign", "acme", "--user-id", "user-42"]).standardOutput.utf8)
            ) as? [String: Any]
        let parameters = signed?["parameters"] as? [String: Any]
        let token = try #require(parameters?["token"] as? String, "\(String(describing: signed))")
        let signer = try #require(parameters?["key_id"] as? String)
        #expect(
            try await DaemonProcess.eventually(timeout: 20) {
                (try? daemon.shell("SELECT count(*) >= 1 FROM rotation_history WHERE event = 'rotated'")) == "1"
            }
        )
        let leak = try daemon.ctl(["flag-leak", "acme", "--key", signer, "--reason", "pasted in a CI log"])
        #expect(leak.status == 0, "\(leak.standardError)")
        for _ in 0..<3 {  // presented three times in a row: one event, the next a minute later at the earliest
            #expect(try daemon.ctl(["verify", "acme", token]).status == 1)
        }
        let entries = try await daemon.stop()
        func chainHash(_ seq: String?) throws -> String {
            try daemon.shell("SELECT chain_hash FROM rotation_history WHERE seq = \(try #require(seq))")
        }

        let rotated = try #require(
            entries.first { $0["MESSAGE_ID"] == Self.rotated && $0["KEYROTD_REASON"] == "scheduled" },
            "\(entries)"
        )
        #expect(rotated["KEYROTD_EVENT"] == "rotated")
        #expect(rotated["KEYROTD_WORKSPACE"] == "acme")
        #expect(rotated["KEYROTD_KEY_ID"] == "acme.2")
        #expect(rotated["KEYROTD_PREVIOUS_KEY_ID"] == "acme.1")
        #expect(rotated["KEYROTD_REASON"] == "scheduled")
        #expect(rotated["PRIORITY"] == "5")
        #expect(rotated["SYSLOG_IDENTIFIER"] == "keyrotd")
        let seq = try #require(rotated["KEYROTD_AUDIT_SEQ"])
        #expect(
            rotated["KEYROTD_AUDIT_HASH"]
                == (try daemon.shell("SELECT chain_hash FROM rotation_history WHERE seq = \(seq)"))
        )

        let leaked = try #require(entries.first { $0["MESSAGE_ID"] == Self.leakFlagged }, "\(entries)")
        #expect(leaked["PRIORITY"] == "2")
        #expect(leaked["KEYROTD_KEY_ID"] == signer)
        #expect(leaked["KEYROTD_REASON"] == "pasted in a CI log")
        #expect(leaked["KEYROTD_ACTOR_UID"] == "0")
        #expect(leaked["KEYROTD_AUDIT_HASH"] == (try chainHash(leaked["KEYROTD_AUDIT_SEQ"])))

        let presented = entries.filter { $0["MESSAGE_ID"] == Self.revokedKeyPresented }
        #expect(presented.count == 1, "at most once a minute per key")
        #expect(presented.first?["PRIORITY"] == "4")
        #expect(presented.first?["KEYROTD_KEY_ID"] == signer)
        // Not an audit row itself: it carries the newest hash when it went out, the leak's or a later rotation's.
        let leakSeq = try #require(leaked["KEYROTD_AUDIT_SEQ"].flatMap(Int.init))
        let laterHashes = try daemon.shell("SELECT chain_hash FROM rotation_history WHERE seq >= \(leakSeq)")
        #expect(laterHashes.split(separator: "\n").contains { $0 == presented.first?["KEYROTD_AUDIT_HASH"] ?? "" })

        #expect(entries.contains { $0["MESSAGE_ID"] == Self.started && $0["KEYROTD_AUDIT_HASH"] != nil })
        // `stopping` carries the chain's newest hash when the stop was asked for (the catalog's words). A scheduled
        // rotation already under way then still commits, and is announced by its own event; nothing else follows.
        let stopping = try #require(entries.first { $0["MESSAGE_ID"] == Self.stopping }, "\(entries)")
        let stoppingHash = try #require(stopping["KEYROTD_AUDIT_HASH"])
        let rowsSince = try daemon.shell(
            """
            SELECT event || ' ' || chain_hash FROM rotation_history
            WHERE seq > (SELECT seq FROM rotation_history WHERE chain_hash = '\(stoppingHash)') ORDER BY seq
            """
        )
        #expect(try daemon.shell("SELECT count(*) FROM rotation_history WHERE chain_hash = '\(stoppingHash)'") == "1")
        for row in rowsSince.split(separator: "\n") {
            let event = row.split(separator: " ")
            #expect(event.first == "rotated", "after stopping: \(rowsSince)")
            #expect(entries.contains { $0["KEYROTD_AUDIT_HASH"] == event.last.map(String.init) }, "\(row)")
        }
        #expect(rowsSince.split(separator: "\n").count <= 1, "one rotation under way at most: \(rowsSince)")
        // Nothing secret in any entry: the token's signature never appears.
        let signature = String(token.split(separator: ".").last ?? "")
        #expect(!entries.contains { $0.values.contains { $0.contains(signature) } })

        let explained = daemon.explained
        #expect(explained.contains("Subject: Key \(signer) of workspace acme flagged as leaked"), "\(explained)")
        #expect(explained.contains("Subject: Workspace acme rotated to key acme.2"))
        #expect(explained.contains("Defined-By: keyrotd"))
    }

    @Test func underAJournalStreamLogLinesAreStructuredEntriesAndEventsAreNotRepeated() async throws {
        // systemd-cat connects the daemon's standard error to journald as a unit's StandardError=journal does;
        // $JOURNAL_STREAM names that stream (device:inode), as systemd sets it for a unit.
        let daemon = try await JournaledDaemon(
            configuration: "[workspace.acme]\nrotate_every = \"1h\"\n",
            wrapper: [
                "systemd-cat", "--identifier=keyrotd", "/bin/sh", "-c",
                "JOURNAL_STREAM=$(stat -L -c %d:%i /proc/self/fd/2) exec \"$0\" \"$@\"",
            ]
        )
        defer { daemon.directory.remove() }
        #expect(try daemon.ctl(["rotate", "acme", "--reason", "by hand"]).status == 0)
        let entries = try await daemon.stop()

        let rotations = entries.filter { $0["KEYROTD_EVENT"] == "rotated" }
        #expect(rotations.count == 1, "one entry per event: \(rotations)")
        #expect(rotations.first?["MESSAGE_ID"] == Self.rotated)
        #expect(!entries.contains { $0["_TRANSPORT"] == "stdout" }, "log lines must not arrive as plain text")
        let listening = try #require(entries.first { $0["MESSAGE"] == "control socket listening" }, "\(entries)")
        #expect(listening["_TRANSPORT"] == "journal")
        #expect(listening["KEYROTD_SOCKET"]?.contains("control.sock") == true)
        #expect(listening["PRIORITY"] == "6")
        #expect(listening["CODE_FILE"] != nil)
    }
}
