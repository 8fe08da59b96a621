import Foundation
import KeyrotTestSupport
import Synchronization
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The plain sqlite3 shell reading keyrotd's database while it rotates: every snapshot a reader gets is whole,
/// a reader holding a transaction open keeps its snapshot, and neither kind holds the daemon up.
@Suite struct ReadersBesideWriterTests {
    @Test func readersSeeWholeStatesAndNeverStallRotations() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let configuration =
            "[workspace.tick]\nrotate_every = \"1s\"\ngrace = \"1s\"\n"
            + (0..<4).map { "[workspace.w\($0)]\nrotate_every = \"1s\"\ngrace = \"2s\"\n" }.joined()
        try configuration.write(toFile: directory.path("keyrotd.toml"), atomically: true, encoding: .utf8)
        let socketPath = directory.path("c.sock")
        let database = directory.path("state/keyrotd.db")
        let daemon = try DaemonProcess(
            arguments: [
                "--dev", "--state-dir", directory.path("state"), "--socket", socketPath, "--config",
                directory.path("keyrotd.toml"),
            ],
            logFile: directory.path("log")
        )
        let client = try await CrashSafetyTests.connect(socketPath, daemon: daemon)
        let stop = Atomic<Bool>(false)

        // Readers: the views in a loop, each run one snapshot that must pass every invariant. Both readers wait on
        // threads of their own, not on the pool's, which the client driving the daemon needs.
        let looping = Task {
            try await onOwnThread { try readInALoop() }
        }
        @Sendable func readInALoop() throws -> (Int, [String]) {
            var snapshots = 0
            var violations: [String] = []
            // At least five snapshots even on a loaded machine (the scheduler keeps rotating `tick` meanwhile), at
            // most 20 s.
            let deadline = ContinuousClock.now + .seconds(20)
            while !(stop.load(ordering: .relaxed) && snapshots >= 5) && ContinuousClock.now < deadline {
                let output = try SQLiteShell.query(
                    DatabaseInvariants.script(sqlite: true)
                        + "SELECT count(*) FROM key_status; SELECT count(*) FROM rotation_history;",
                    database: database
                )
                violations += output.split(separator: "\n").filter { $0.hasPrefix("V|") }.map(String.init)
                snapshots += 1
            }
            return (snapshots, violations)
        }
        // One reader holding a read transaction for three seconds: its snapshot must not move.
        let holding = Task {
            try await onOwnThread {
                try ProcessResult.run(
                    "/bin/sh",
                    [
                        "-c",
                        "(echo '.timeout 5000'; echo 'BEGIN; SELECT count(*) FROM audit_log;'; sleep 3; echo 'SELECT count(*) FROM audit_log; COMMIT;')"
                            + " | sqlite3 \"$0\"", database,
                    ]
                )
            }
        }

        // The writer: emergency rotations back to back over the socket, timed on a thread of its own (so what is
        // timed is the daemon, not this process's scheduling), while the scheduler rotates too.
        let (rotations, slowest, failures) = try await onOwnThread {
            var rotations = 0
            var slowest = Duration.zero
            var failures: [String] = []
            let until = ContinuousClock.now + .seconds(3)
            while ContinuousClock.now < until {
                let started = ContinuousClock.now
                let reply = try client.exchangeBlocking(
                    #"{"method":"io.keyrotd.Rotate","parameters":{"workspace":"w\#(rotations % 4)","emergency":true}}"#
                )
                if reply?.contains(#""error""#) != false { failures.append(reply ?? "closed") }
                slowest = max(slowest, ContinuousClock.now - started)
                rotations += 1
            }
            return (rotations, slowest, failures)
        }
        #expect(failures.isEmpty, "\(failures.prefix(3))")
        let held = try await holding.value
        stop.store(true, ordering: .relaxed)
        let (snapshots, violations) = try await looping.value

        #expect(violations.isEmpty, "\(violations)")
        #expect(snapshots >= 5, "the readers ran \(snapshots) times")
        let counts = held.standardOutput.split(separator: "\n")
        #expect(held.status == 0 && counts.count == 2, "\(held.standardOutput) \(held.standardError)")
        #expect(counts.first == counts.last, "a reader's snapshot moved under it: \(counts)")
        let total = Int(try SQLiteShell.query("SELECT count(*) FROM audit_log;", database: database)) ?? 0
        #expect(total > (Int(counts.first ?? "") ?? .max), "rotations went on while the reader held its snapshot")
        #expect(rotations >= 10, "only \(rotations) emergency rotations in 3 s")
        // Held up by the long reader, a rotation would wait for its whole transaction (3 s).
        #expect(slowest < .milliseconds(1500), "a rotation waited \(slowest) for the readers")
        print(
            "readers beside the writer: \(snapshots) whole snapshots, a 3 s read transaction kept its snapshot, "
                + "\(rotations) emergency rotations in 3 s, the slowest \(slowest)"
        )
        daemon.send(SIGTERM)
        #expect(try await daemon.waitForExit(timeout: Sanitizer.limit(5)) == 0, "log: \(daemon.log)")
    }
}
