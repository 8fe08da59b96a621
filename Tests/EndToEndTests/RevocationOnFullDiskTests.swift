import Foundation
import KeyrotTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// A leak flagged while the disk is full: the security review found flag-leak and revoke refused then, so the
/// leaked key kept verifying. Now the key is refused in memory at once, the caller, STATUS= and a critical event
/// say the revocation is not yet durable, and it is stored, with its audit row, once the disk has room.
@Suite(.serialized) struct RevocationOnFullDiskTests {
    static let configuration = "[workspace.acme]\nrotate_every = \"1h\"\ngrace = \"10min\"\n"

    @Test(.enabled(if: Repository.runningAsRoot, "needs root for a private mount namespace"))
    func aLeakFlaggedOnAFullDiskIsRefusedAtOnceAndStoredOnceThereIsRoom() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let state = directory.path("state")
        let runtime = directory.path("run")
        for path in [state, runtime] {
            try FileManager.default.createDirectory(
                atPath: path,
                withIntermediateDirectories: true,
                attributes: [.posixPermissions: 0o700]
            )
        }
        let daemon = try NotifiedDaemon(
            configuration: Self.configuration,
            watchdog: .seconds(2),
            directory: directory,
            launcher: [
                "/usr/bin/unshare", "--mount", "--propagation", "private", "--", "/bin/sh", "-c",
                "mount -t tmpfs -o size=2m,mode=0700 tmpfs \"$0\" && exec \"$@\"", state,
            ],
            socketBesideState: true,
            environment: ["RUNTIME_DIRECTORY": runtime]
        )
        defer { daemon.process.send(SIGKILL) }
        _ = try #require(await daemon.message { $0["READY"] == "1" }, "log: \(daemon.process.log)")
        let query = { (sql: String) throws -> String in
            let result = try daemon.inNamespace("sqlite3 '\(daemon.database)' \"\(sql)\"")
            guard result.status == 0 else { throw SQLiteShell.ShellError(message: result.standardError) }
            return result.standardOutput.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        let signed = try await daemon.ctlOffPool(["sign", "acme", "--user-id", "user-42", "--ttl", "10min"])
        #expect(signed.status == 0, "\(signed.standardError)")
        let token = signed.standardOutput.trimmingCharacters(in: .whitespacesAndNewlines)

        _ = try daemon.inNamespace("cat /dev/zero > '\(state)/filler'")
        let flagged = try await daemon.ctlOffPool([
            "flag-leak", "acme", "--key", "acme.1", "--reason", "pasted in a chat",
        ])
        #expect(flagged.status == 75, "\(flagged.standardOutput) \(flagged.standardError)")
        #expect(flagged.standardError.contains("NOT YET DURABLE"), "\(flagged.standardError)")
        // Refused at once: its tokens fail, and it signs no more.
        let verified = try await daemon.ctlOffPool(["verify", "acme", token, "--explain"])
        #expect(verified.status == 1, "\(verified.standardOutput)")
        #expect((verified.standardOutput + verified.standardError).contains("revoked"), "\(verified.standardError)")
        #expect(
            try await daemon.ctlOffPool(["sign", "acme", "--user-id", "user-43"]).status != 0,
            "a leaked key signs nothing"
        )
        let pending = try #require(
            await daemon.message(timeout: .seconds(5)) { $0["STATUS"]?.contains("not yet durable") == true },
            "\(daemon.messages.map(\.assignments))"
        )
        #expect(pending["STATUS"]?.contains("acme.1") == true)
        #expect(daemon.process.log.contains("keyrot.event=revocation_pending"), "\(daemon.process.log)")
        #expect(daemon.process.log.contains("critical"))
        #expect(FileManager.default.fileExists(atPath: runtime + "/pending-revocations.json"), "kept for a restart")
        #expect(try query("SELECT state FROM keys WHERE key_id = 'acme.1'") == "active", "nothing was stored")

        let mended = try daemon.inNamespace("rm '\(state)/filler'")
        #expect(mended.status == 0, "\(mended.standardError)")
        let stored = try await DaemonProcess.eventually(timeout: 15) {
            (try? query("SELECT state || ',' || leaked FROM keys WHERE key_id = 'acme.1'")) == "revoked,1"
        }
        #expect(stored, "the revocation was stored once there was room; log: \(daemon.process.log)")
        #expect(
            try query("SELECT count(*) FROM audit_log WHERE event = 'leak_flagged' AND key_id = 'acme.1'") == "1",
            "with its audit row"
        )
        #expect(try query("SELECT reason FROM audit_log WHERE event = 'leak_flagged'") == "pasted in a chat")
        #expect(try query("SELECT count(*) FROM audit_chain_breaks") == "0")
        #expect(
            try await DaemonProcess.eventually(timeout: 5) {
                !FileManager.default.fileExists(atPath: runtime + "/pending-revocations.json")
            }
        )
        #expect(
            try await daemon.message(timeout: .seconds(5)) {
                $0.arrived > pending.arrived && $0["STATUS"].map { !$0.contains("not yet durable") } == true
            } != nil
        )
        // The emergency rotation made its replacement: acme signs again, and the old token still fails.
        #expect(try await daemon.ctlOffPool(["sign", "acme", "--user-id", "user-44"]).status == 0)
        #expect(try await daemon.ctlOffPool(["verify", "acme", token]).status == 1)
        #expect(try await daemon.stop() == 0, "log: \(daemon.process.log)")
    }
}
