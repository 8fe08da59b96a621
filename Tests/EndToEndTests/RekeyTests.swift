import Foundation
import KeyrotTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// `keyrotd rekey` on the built binary: refused beside a running daemon, audited, and crash-safe under `kill -9`.
@Suite(.serialized) struct RekeyTests {
    /// A stopped keyrotd's state: `count` workspaces (a key each) made by the daemon under `master.key`.
    struct StoppedDaemon {
        let directory: TemporaryDirectory
        var state: String { directory.path("state") }
        var database: String { directory.path("state/keyrotd.db") }
        var socket: String { directory.path("c.sock") }

        init(workspaces count: Int, function: String = #function) async throws {
            directory = try TemporaryDirectory(function: function, inMemory: true)
            let configuration = (0..<count).map { "[workspace.w\($0)]\n" }.joined()
            try configuration.write(toFile: directory.path("keyrotd.toml"), atomically: true, encoding: .utf8)
            try Self.writeKey(directory.path("master.key"))
            let daemon = try serve(masterKey: directory.path("master.key"), log: "first.log")
            let created = try await DaemonProcess.eventually(timeout: 60) {
                FileManager.default.fileExists(atPath: socket)
            }
            try #require(created, "keyrotd did not come up: \(daemon.log)")
            daemon.send(SIGTERM)
            try #require(try await daemon.waitForExit(timeout: 10) == 0, "log: \(daemon.log)")
        }

        static func writeKey(_ path: String) throws {
            try PrivateFile.write(Data((0..<32).map { _ in UInt8.random(in: 0...255) }), to: path)
        }

        func serve(masterKey: String, log: String) throws -> DaemonProcess {
            try DaemonProcess(
                arguments: [
                    "--state-dir", state, "--master-key-file", masterKey, "--socket", socket,
                    "--config", directory.path("keyrotd.toml"),
                ],
                logFile: directory.path(log)
            )
        }

        func rekey(from old: String, to new: String, log: String) throws -> DaemonProcess {
            try DaemonProcess(
                arguments: ["rekey", "--state-dir", state, "--master-key-file", old, "--new-master-key-file", new],
                logFile: directory.path(log)
            )
        }

        func shell(_ sql: String) throws -> String { try SQLiteShell.query(sql, database: database) }
    }

    @Test func rekeyIsRefusedBesideARunningDaemonThenReSealsEveryKeyAudited() async throws {
        let stopped = try await StoppedDaemon(workspaces: 3)
        defer { stopped.directory.remove() }
        let old = stopped.directory.path("master.key")
        let new = stopped.directory.path("new.key")
        try StoppedDaemon.writeKey(new)

        let running = try stopped.serve(masterKey: old, log: "running.log")
        #expect(try await DaemonProcess.eventually(timeout: 20) { running.log.contains("control socket listening") })
        let refused = try ProcessResult.run(
            DaemonProcess.builtBinary,
            ["rekey", "--state-dir", stopped.state, "--master-key-file", old, "--new-master-key-file", new]
        )
        #expect(refused.status == 75)
        #expect(refused.standardError.contains("is in use by process \(running.pid)"))
        #expect(try stopped.shell("SELECT count(*) FROM audit_log WHERE event = 'master_key_rotated'") == "0")
        running.send(SIGTERM)
        #expect(try await running.waitForExit(timeout: 5) == 0)

        let done = try ProcessResult.run(
            DaemonProcess.builtBinary,
            ["rekey", "--state-dir", stopped.state, "--master-key-file", old, "--new-master-key-file", new]
        )
        #expect(done.status == 0, "\(done.standardError)")
        #expect(done.standardOutput.contains("re-sealed 3 keys under the new master key"))
        #expect(done.standardOutput.contains("install \(new) as keyrotd's master key"))
        #expect(
            try stopped.shell(
                "SELECT workspace IS NULL, actor_uid = \(getuid()), detail FROM rotation_history WHERE event = 'master_key_rotated'"
            ) == "1|1|3 keys re-sealed under a new master key"
        )
        #expect(try stopped.shell("SELECT count(*) FROM audit_chain_breaks") == "0")

        // The old key opens nothing any more; the new one serves every workspace.
        let withOld = try ProcessResult.run(
            DaemonProcess.builtBinary,
            ["--state-dir", stopped.state, "--master-key-file", old, "--socket", stopped.socket]
        )
        #expect(withOld.status == 78)
        #expect(withOld.standardError.contains("master key does not open"))
        try await expectEveryWorkspaceSigns(stopped, masterKey: new, count: 3)
    }

    /// Kills `keyrotd rekey` at random moments over a database of 400 keys. After each kill the database must be
    /// wholly under the old key or wholly under the new one: the audit log says which, and the next rekey, which
    /// opens every sealed key under the key the log names, proves it (a half re-sealed database would fail it).
    @Test func rekeyKilledAtRandomMomentsLeavesTheOldStateOrTheNew() async throws {
        let workspaces = 400
        let stopped = try await StoppedDaemon(workspaces: workspaces)
        defer { stopped.directory.remove() }
        var current = stopped.directory.path("master.key")

        // How long one uninterrupted rekey takes, process start included: the kills are spread over that.
        let timing = stopped.directory.path("k0")
        try StoppedDaemon.writeKey(timing)
        let started = ContinuousClock.now
        let first = try stopped.rekey(from: current, to: timing, log: "rekey0.log")
        #expect(try await first.waitForExit(timeout: 60) == 0, "\(first.log)")
        let duration = ContinuousClock.now - started
        current = timing

        // Kills aim at the commit: a rekey that finished first moves the next kill earlier, one killed before
        // its commit moves it later.
        var delay = duration * 0.8
        var committedUnderKill = 0
        var abortedUnderKill = 0
        let kills = 12
        for round in 1...kills {
            let next = stopped.directory.path("k\(round)")
            try StoppedDaemon.writeKey(next)
            let before = try stopped.shell("SELECT count(*) FROM audit_log WHERE event = 'master_key_rotated'")
            let rekey = try stopped.rekey(from: current, to: next, log: "rekey\(round).log")
            try await Task.sleep(for: delay * Double.random(in: 0.8...1.2))
            let wasRunning = rekey.isRunning
            rekey.send(SIGKILL)
            let status = try await rekey.waitForExit(timeout: 60)
            let after = try stopped.shell("SELECT count(*) FROM audit_log WHERE event = 'master_key_rotated'")
            #expect(try stopped.shell("PRAGMA integrity_check") == "ok")
            #expect(try stopped.shell("SELECT count(*) FROM audit_chain_breaks") == "0")
            if Int(after)! == Int(before)! + 1 {
                current = next
                if wasRunning && status != 0 { committedUnderKill += 1 }
                if !wasRunning || status == 0 { delay = delay * 0.8 }
            } else {
                #expect(after == before, "round \(round): \(rekey.log)")
                #expect(status != 0, "a rekey that exited 0 committed nothing")
                abortedUnderKill += 1
                delay = delay * 1.1
            }
        }
        // The last word: the key the audit log names opens every workspace's key.
        let last = stopped.directory.path("final.key")
        try StoppedDaemon.writeKey(last)
        let final = try stopped.rekey(from: current, to: last, log: "final.log")
        #expect(try await final.waitForExit(timeout: 60) == 0, "\(final.log)")
        #expect(final.log.contains("re-sealed \(workspaces) keys"))
        try await expectEveryWorkspaceSigns(stopped, masterKey: last, count: workspaces)
        print(
            "rekey killed \(kills) times: \(abortedUnderKill) before its commit (old state kept), "
                + "\(committedUnderKill) after it (new state), \(kills - abortedUnderKill - committedUnderKill) had finished"
        )
    }

    /// Starts keyrotd with `masterKey` and signs a token in each of `count` workspaces (pipelined on one connection).
    private func expectEveryWorkspaceSigns(_ stopped: StoppedDaemon, masterKey: String, count: Int) async throws {
        let daemon = try stopped.serve(masterKey: masterKey, log: "check.log")
        try #require(
            try await DaemonProcess.eventually(timeout: 30) { daemon.log.contains("control socket listening") },
            "\(daemon.log)"
        )
        let socket = try RawSocket(path: stopped.socket)
        let calls = (0..<count).map {
            #"{"method":"io.keyrotd.Sign","parameters":{"workspace":"w\#($0)","user_id":"u"}}"#
        }
        try await socket.send(calls.flatMap { Array($0.utf8) + [0] })
        var signed = 0
        for _ in 0..<count where try await socket.receive()?.contains(#""token":"#) == true { signed += 1 }
        #expect(signed == count)
        daemon.send(SIGTERM)
        #expect(try await daemon.waitForExit(timeout: 5) == 0)
    }
}
