import Foundation
import KeyrotTestSupport
import NIOConcurrencyHelpers
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// `kill -9` at random moments while a client drives rotations, emergency rotations, leak flags, revocations and
/// imports over the socket and the scheduler rotates on its own; after every kill the database must hold exactly
/// what the daemon acknowledged, whole, and a revoked key must never verify again.
@Suite(.serialized) struct CrashSafetyTests {
    static let configuration = """
        [workspace.tick]
        rotate_every = "1s"
        grace = "2s"

        [workspace.alpha]
        rotate_every = "1h"
        grace = "1h"

        [workspace.beta]
        rotate_every = "1h"
        grace = "1h"
        """

    /// A token the client got, to verify again after later kills.
    struct IssuedToken: Sendable {
        var workspace: String
        var token: String
        var keyID: String
    }

    /// What the client saw acknowledged: audit entries (`event key_id`), and tokens.
    final class Acknowledged: Sendable {
        let entries = NIOLockedValueBox<[String]>([])
        let tokens = NIOLockedValueBox<[IssuedToken]>([])
    }

    /// How long the daemon takes to acknowledge a change, lately: the window before a kill is a few of those, so the
    /// kills land amid changes however loaded the machine is (a PostgreSQL change is a dozen round trips, and beside
    /// a build on two cores it took 30 times longer than alone, so a fixed window let hardly one through).
    final class Pace: Sendable {
        private let seconds = NIOLockedValueBox<[Double]>([])

        /// Records one change's time from request to reply, or, for a round that got no reply at all, a lower bound.
        func record(_ duration: Double) {
            seconds.withLockedValue { $0 = Array(($0 + [duration]).suffix(16)) }
        }

        /// The longest window before a kill: 60 ms (five times that for a sanitized daemon), or four of the recent
        /// median change if that is longer, up to 5 s (a daemon that stopped answering must not stretch the test
        /// without end: the round's checks find out what it did).
        var longestWindow: Double {
            let recent = seconds.withLockedValue { $0.sorted() }
            let median = recent.isEmpty ? 0 : recent[recent.count / 2]
            return min(5, max(Sanitizer.limit(0.060), 4 * median))
        }
    }

    /// The store the daemon under test keeps its keys in, and how the test reads it as an auditor would.
    enum Store: Sendable {
        case sqlite(database: String)
        case postgresql(server: PostgresServer, url: String)

        /// `sql` through the sqlite3 shell or psql, its output trimmed; the wait for the shell is on a thread of its
        /// own, not one of the pool's few threads, which the suite's other tests need.
        func query(_ sql: String) async throws -> String {
            switch self {
            case .sqlite(let database): try await SQLiteShell.queryOffPool(sql, database: database)
            case .postgresql(let server, let url): try await server.psql(database: url, sql)
            }
        }

        /// The configuration's `[store]` table.
        var configuration: String {
            switch self {
            case .sqlite: ""
            case .postgresql(_, let url): "[store]\nbackend = \"postgresql\"\nurl = \"\(url)\"\n\n"
            }
        }

        /// The SQL for the current time in seconds since the epoch.
        var now: String {
            switch self {
            case .sqlite: "CAST(strftime('%s', 'now') AS INTEGER)"
            case .postgresql: "CAST(extract(epoch FROM now()) AS bigint)"
            }
        }

        var isSQLite: Bool {
            if case .sqlite = self { true } else { false }
        }
    }

    @Test func survivesKillsMidRotation() async throws {
        let directory = try TemporaryDirectory(inMemory: true)
        defer { directory.remove() }
        try await Self.survivesKills(
            kills: Int(ProcessInfo.processInfo.environment["KEYROT_CRASH_KILLS"] ?? "") ?? 200,
            store: .sqlite(database: directory.path("state/keyrotd.db")),
            in: directory
        )
    }

    /// Kills keyrotd `kills` times, each at a random moment of a client's calls (or of its start), and checks after
    /// each kill that the store holds exactly what was acknowledged, whole.
    static func survivesKills(kills: Int, store: Store, in directory: TemporaryDirectory) async throws {
        let random = SharedRandom(name: "crash test", seedVariable: "KEYROT_CRASH_SEED")
        try (store.configuration + Self.configuration)
            .write(toFile: directory.path("keyrotd.toml"), atomically: true, encoding: .utf8)
        try PrivateFile.write(
            Data(random.draw { generator in (0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) } }),
            to: directory.path("mk")
        )
        let socketPath = directory.path("c.sock")
        let arguments = [
            "--state-dir", directory.path("state"), "--master-key-file", directory.path("mk"), "--socket", socketPath,
            "--config", directory.path("keyrotd.toml"),
        ]
        let acknowledged = Acknowledged()
        let pace = Pace()
        var survived = 0
        var killedDuringStart = 0
        var verifiedRevoked = 0
        var revoked: Set<String> = []
        for round in 1...kills {
            let daemon = try DaemonProcess(arguments: arguments, logFile: directory.path("log"))
            if round % 10 == 0 {
                // Now and then, a kill while it starts: migrations, workspaces from the configuration, catch-up.
                try await Task.sleep(for: .milliseconds(random.draw { Int.random(in: 0...40, using: &$0) }))
                killedDuringStart += 1
            } else {
                let client = try await Self.connect(socketPath, daemon: daemon)
                verifiedRevoked += try await Self.checkTokens(acknowledged, revoked: revoked, client: client)
                if round % 50 == 25 { try await Self.expectCatchUp(in: store, wait: client) }
                let driving = Task {
                    await Self.drive(client, recording: acknowledged, pace: pace, in: directory, random: random)
                }
                let longest = pace.longestWindow
                let window = random.draw { Double.random(in: 0.005...longest, using: &$0) }
                try await Task.sleep(for: .seconds(window))
                daemon.send(SIGKILL)
                if await driving.value == 0 { pace.record(2 * window) }
            }
            daemon.send(SIGKILL)
            try #require(try await daemon.waitForExit(timeout: 10) != nil)
            if round % 50 == 24 { try await Task.sleep(for: .milliseconds(2200)) }  // down past two periods of tick

            // One sqlite3 or psql run: the violations (V), the audit log (A) and the revoked keys (R), as left by the
            // kill.
            let lines = try await store.query(
                DatabaseInvariants.script(sqlite: store.isSQLite)
                    + "SELECT 'A|' || event || ' ' || coalesce(key_id, '') FROM audit_log;"
                    + "SELECT 'R|' || key_id FROM keys WHERE state = 'revoked';"
            ).split(separator: "\n").map(String.init)
            let tagged = { (tag: String) in lines.filter { $0.hasPrefix(tag + "|") }.map { String($0.dropFirst(2)) } }
            let violations = tagged("V")
            try #require(violations.isEmpty, "after kill \(round): \(violations)\n\(daemon.log.suffix(2000))")
            let logged = Set(tagged("A"))
            let lost = acknowledged.entries.withLockedValue { $0 }.filter { !logged.contains($0) }
            try #require(lost.isEmpty, "after kill \(round), acknowledged but not in the database: \(lost)")
            revoked = Set(tagged("R"))
            survived += 1
        }
        let entries = acknowledged.entries.withLockedValue { $0.count }
        // Not a figure to meet, a guard against a run that tested nothing (a sanitized daemon gets fewer through).
        #expect(entries >= kills / 4, "the client got too few changes through to test anything: \(entries)")
        #expect(verifiedRevoked > 0)
        print(
            "crash test: survived \(survived) kills (\(killedDuringStart) while starting); \(entries) acknowledged "
                + "changes all in the database; \(verifiedRevoked) verifications of revoked keys' tokens refused after restarts"
        )
    }

    /// Connects once the restarted daemon listens.
    static func connect(_ path: String, daemon: DaemonProcess) async throws -> RawSocket {
        let deadline = ContinuousClock.now + .seconds(30)
        while ContinuousClock.now < deadline {
            if let socket = try? RawSocket(path: path) { return socket }
            try #require(daemon.isRunning, "keyrotd exited on restart: \(daemon.log.suffix(2000))")
            try await Task.sleep(for: .milliseconds(5))
        }
        throw RawSocketError.failed("connect (keyrotd did not come up)", ETIMEDOUT)
    }

    /// Verifies the newest tokens again: one whose key the database held as revoked after the last kill must be
    /// refused as revoked_key. Returns how many such verifications were refused.
    static func checkTokens(_ acknowledged: Acknowledged, revoked: Set<String>, client: RawSocket) async throws -> Int {
        var refused = 0
        for issued in acknowledged.tokens.withLockedValue({ $0.suffix(40) }) {
            let reply = try #require(
                try await call(client, "io.keyrotd.Verify", ["workspace": issued.workspace, "token": issued.token])
            )
            let parameters = reply["parameters"] as? [String: Any]
            if revoked.contains(issued.keyID) {
                #expect(parameters?["valid"] as? Bool == false, "a token of revoked key \(issued.keyID) verified")
                #expect(parameters?["reason"] as? String == "revoked_key")
                refused += 1
            }
        }
        return refused
    }

    /// After downtime longer than two of tick's periods, the scheduler rotates tick once at start (the
    /// invariants make sure it is not twice).
    static func expectCatchUp(in store: Store, wait client: RawSocket) async throws {
        let caughtUp = try await DaemonProcess.eventually(timeout: 5) {
            let newest = try await store.query(
                "SELECT CAST(at >= \(store.now) - 2 AS INTEGER) FROM audit_log "
                    + "WHERE workspace = 'tick' AND event = 'rotated' ORDER BY seq DESC LIMIT 1;"
            )
            return newest == "1"
        }
        #expect(caughtUp, "no catch-up rotation of tick after the daemon was down")
    }

    /// Calls changes and signs tokens back to back until the connection dies with the daemon; returns how many
    /// replies came.
    static func drive(
        _ client: RawSocket,
        recording acknowledged: Acknowledged,
        pace: Pace,
        in directory: TemporaryDirectory,
        random: SharedRandom
    ) async -> Int {
        let changed = ["alpha", "beta"]
        var replies = 0
        while true {
            let workspace = random.draw { changed.randomElement(using: &$0)! }
            let known = acknowledged.tokens.withLockedValue { tokens in tokens.last { $0.workspace == workspace } }
            let (method, parameters): (String, [String: Any]) =
                switch random.draw({ Int.random(in: 0..<10, using: &$0) }) {
                case 0...2:
                    (
                        "io.keyrotd.Sign",
                        [
                            "workspace": random.draw { ["alpha", "beta", "tick"].randomElement(using: &$0)! },
                            "user_id": "u",
                        ]
                    )
                case 3: ("io.keyrotd.Rotate", ["workspace": workspace, "reason": "crash test"])
                case 4, 5: ("io.keyrotd.Rotate", ["workspace": workspace, "emergency": true, "reason": "crash test"])
                case 6: ("io.keyrotd.FlagLeak", ["workspace": workspace, "key_id": known?.keyID ?? "-", "reason": "t"])
                case 7: ("io.keyrotd.Revoke", ["workspace": workspace, "key_id": known?.keyID ?? "-"])
                default: importing(into: workspace, recordingIn: directory, random: random)
                }
            let started = ContinuousClock.now
            guard let reply = try? await call(client, method, parameters) else { return replies }
            replies += 1
            if method != "io.keyrotd.Sign" {
                let elapsed = ContinuousClock.now - started
                pace.record(Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18)
            }
            guard reply["error"] == nil, let result = reply["parameters"] as? [String: Any] else { continue }
            if let token = result["token"] as? String, let keyID = result["key_id"] as? String {
                let workspace = (parameters["workspace"] as? String)!
                acknowledged.tokens.withLockedValue {
                    $0.append(IssuedToken(workspace: workspace, token: token, keyID: keyID))
                }
            }
            for entry in result["entries"] as? [[String: Any]] ?? [] {
                let line = "\(entry["event"] as? String ?? "?") \(entry["key_id"] as? String ?? "")"
                acknowledged.entries.withLockedValue { $0.append(line) }
            }
        }
    }

    /// An `ImportKey` call with a fresh secret, which the leak sweep is told of.
    static func importing(
        into workspace: String,
        recordingIn directory: TemporaryDirectory,
        random: SharedRandom
    ) -> (String, [String: Any]) {
        let (secret, activate) = random.draw { generator in
            ((0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) }, Bool.random(using: &generator))
        }
        LeakSweep.record(secret: secret, in: directory)
        return (
            "io.keyrotd.ImportKey",
            ["workspace": workspace, "activate": activate, "secret": Data(secret).base64EncodedString()]
        )
    }

    /// One varlink call; nil when the connection closed before the reply.
    static func call(_ client: RawSocket, _ method: String, _ parameters: [String: Any]) async throws -> [String: Any]?
    {
        let request = try JSONSerialization.data(withJSONObject: ["method": method, "parameters": parameters])
        try await client.send(Array(request) + [0])
        guard let reply = try await client.receive() else { return nil }
        return try JSONSerialization.jsonObject(with: Data(reply.utf8)) as? [String: Any]
    }
}
