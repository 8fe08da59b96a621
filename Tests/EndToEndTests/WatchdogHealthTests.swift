import Foundation
import KeyrotTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// An honest watchdog: when the store stops working, the pings stop and STATUS= says why (so systemd restarts
/// keyrotd), tokens keep verifying meanwhile, and the pings come back by themselves once the store works again.
@Suite(.serialized) struct WatchdogHealthTests {
    /// `acme` signs and verifies; `busy` rotates every second, so scheduled work runs into the broken store.
    static let configuration = """
        [workspace.acme]
        rotate_every = "1h"
        grace = "10min"

        [workspace.busy]
        rotate_every = "1s"
        grace = "1s"
        """
    static let watchdog = Duration.seconds(1)

    /// Breaks the store with `breakIt`, checks the daemon reacts as systemd needs, mends it with `mend`; `query`
    /// runs SQL on the database as the sqlite3 shell would (by default from the test's own mount namespace).
    func checkWatchdog(
        _ daemon: NotifiedDaemon,
        reason: String,
        breakIt: () throws -> Void,
        mend: () throws -> Void,
        readableWhileBroken: Bool = true,
        query: ((String) throws -> String)? = nil
    ) async throws {
        let query = query ?? { try daemon.shell($0) }
        let busyChanges = "SELECT count(*) FROM audit_log WHERE workspace = 'busy'"
        let ready = try #require(await daemon.message { $0["READY"] == "1" }, "log: \(daemon.process.log)")
        _ = try await daemon.listener.waitFor(timeout: .seconds(5)) { _ in daemon.pings(after: ready.arrived).count >= 2
        }
        let signed = try daemon.ctl(["sign", "acme", "--user-id", "user-42", "--ttl", "10min"])
        #expect(signed.status == 0, "\(signed.standardError)")
        let token = signed.standardOutput.trimmingCharacters(in: .whitespacesAndNewlines)

        try breakIt()
        let unhealthy = try #require(
            await daemon.message(timeout: .seconds(5)) { $0["STATUS"]?.contains("store unhealthy") == true },
            "no STATUS= about the broken store; \(daemon.messages.map(\.assignments)); log: \(daemon.process.log)"
        )
        #expect(unhealthy["STATUS"]?.contains(reason) == true, "\(unhealthy.assignments)")
        let frozen = readableWhileBroken ? try query(busyChanges) : nil
        try await Task.sleep(for: Self.watchdog * 2.5)
        #expect(daemon.pings(after: unhealthy.arrived).isEmpty, "pings must stop while the store is broken")
        if let frozen {
            #expect(try query(busyChanges) == frozen, "no rotation lands in a broken store")
        }
        #expect(daemon.messages.last { $0["STATUS"] != nil }?["STATUS"]?.contains("scheduled work") == true)
        // Tokens keep verifying from the keys in memory, and signing within the recorded bound needs no write.
        let verified = try daemon.ctl(["verify", "acme", token])
        #expect(verified.status == 0, "\(verified.standardError)")
        let again = try daemon.ctl(["sign", "acme", "--user-id", "user-43", "--ttl", "10min"])
        #expect(again.status == 0, "\(again.standardError)")
        // A rotation asked for now fails cleanly: an error to the caller, a rotation_failed event, nothing written.
        let refused = try daemon.ctl(["rotate", "acme", "--emergency", "--reason", "while the store is broken"])
        #expect(refused.status == 74, "\(refused.standardOutput) \(refused.standardError)")
        #expect(refused.standardError.contains("keyrotd could not store the change"), "\(refused.standardError)")
        #expect(daemon.process.log.contains("keyrot.event=rotation_failed"), "log: \(daemon.process.log)")
        #expect(try daemon.ctl(["verify", "acme", token]).status == 0, "the old key still verifies: nothing changed")

        try mend()
        let mended = ContinuousClock.now
        let changesAtMend = Int(try query(busyChanges)) ?? 0
        _ = try await daemon.listener.waitFor(timeout: .seconds(5)) { _ in !daemon.pings(after: mended).isEmpty }
        #expect(!daemon.pings(after: mended).isEmpty, "pings resume once the store works again")
        #expect(
            try await DaemonProcess.eventually(timeout: 5) { Int(try query(busyChanges)) ?? 0 > changesAtMend },
            "scheduled rotation resumes by itself"
        )
        #expect(try query("SELECT count(*) FROM audit_chain_breaks") == "0")
        #expect(try query("PRAGMA integrity_check") == "ok")
        #expect(try query("SELECT count(*) FROM keys WHERE state = 'active'") == "2", "one active key per workspace")
        #expect(
            try query("SELECT count(*) FROM audit_log WHERE reason = 'while the store is broken'") == "0",
            "the refused rotation left nothing behind"
        )
        let rotated = try daemon.ctl(["rotate", "acme", "--emergency", "--reason", "store mended"])
        #expect(rotated.status == 0, "commands that write work again: \(rotated.standardError)")
        #expect(try daemon.ctl(["verify", "acme", token]).status == 1, "the emergency rotation revoked the old key")
        #expect(try await daemon.stop() == 0, "log: \(daemon.process.log)")
    }

    @Test func pingsStopWhileTheDatabaseFileIsGoneAndResumeWhenItIsBack() async throws {
        let daemon = try NotifiedDaemon(configuration: Self.configuration, watchdog: Self.watchdog * 2)
        defer { daemon.directory.remove() }
        let aside = daemon.directory.path("keyrotd.db.aside")
        try await checkWatchdog(
            daemon,
            reason: "was removed while keyrotd had it open",
            breakIt: { try FileManager.default.moveItem(atPath: daemon.database, toPath: aside) },
            mend: { try FileManager.default.moveItem(atPath: aside, toPath: daemon.database) },
            readableWhileBroken: false  // the sqlite3 shell would make a new, empty file at the path
        )
    }

    @Test(.enabled(if: Repository.runningAsRoot, "needs root to run the daemon as another user"))
    func pingsStopWhileTheStateDirectoryIsReadOnly() async throws {
        let directory = try TemporaryDirectory()
        let state = directory.path("state")
        try FileManager.default.createDirectory(
            atPath: state,
            withIntermediateDirectories: true,
            attributes: [.posixPermissions: 0o700]
        )
        // As root keyrotd could write anywhere: it runs as nobody, as it runs as keyrotd under systemd.
        #expect(chown(state, 65534, 65534) == 0)
        let daemon = try NotifiedDaemon(
            configuration: Self.configuration,
            watchdog: Self.watchdog * 2,
            directory: directory,
            launcher: ["/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--"],
            clientLauncher: ["/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--"]
        )
        defer { directory.remove() }
        try await checkWatchdog(
            daemon,
            reason: "is not writable: Permission denied",
            breakIt: { #expect(chmod(state, 0o500) == 0) },
            mend: { #expect(chmod(state, 0o700) == 0) }
        )
    }

    @Test(.enabled(if: Repository.runningAsRoot, "needs root for a private mount namespace"))
    func pingsStopWhileTheDiskIsFull() async throws {
        let directory = try TemporaryDirectory()
        let state = directory.path("state")
        try FileManager.default.createDirectory(
            atPath: state,
            withIntermediateDirectories: true,
            attributes: [.posixPermissions: 0o700]
        )
        // A small file system of the daemon's own, in a mount namespace of its own: invisible to the test, so
        // the socket lives beside it and the database is read through nsenter.
        let daemon = try NotifiedDaemon(
            configuration: Self.configuration,
            watchdog: Self.watchdog * 2,
            directory: directory,
            launcher: [
                "/usr/bin/unshare", "--mount", "--propagation", "private", "--", "/bin/sh", "-c",
                "mount -t tmpfs -o size=2m,mode=0700 tmpfs \"$0\" && exec \"$@\"", state,
            ],
            socketBesideState: true
        )
        defer { directory.remove() }
        try await checkWatchdog(
            daemon,
            reason: "the disk is full",
            breakIt: { _ = try daemon.inNamespace("cat /dev/zero > '\(state)/filler'") },
            mend: {
                let result = try daemon.inNamespace("rm '\(state)/filler'")
                #expect(result.status == 0, "\(result.standardError)")
            },
            query: { sql in
                let result = try daemon.inNamespace("sqlite3 '\(daemon.database)' \"\(sql)\"")
                guard result.status == 0 else { throw SQLiteShell.ShellError(message: result.standardError) }
                return result.standardOutput.trimmingCharacters(in: .whitespacesAndNewlines)
            }
        )
    }
}
