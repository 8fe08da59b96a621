#if PostgreSQL
import ArgumentParser
import Foundation
import KeyrotCore
import KeyrotCrypto
import KeyrotDaemon
import KeyrotPostgres
import KeyrotStore
import Logging
import NIOPosix
import PostgresNIO

/// `keyrot-bench postgres --url URL`: what the PostgreSQL store costs, beside the SQLite store and PostgreSQL's own
/// floor, in one run on one machine: sign and verify in-process (keys in memory, so the store should not matter),
/// emergency rotations through the store beside the server's one-row commit, and how long a dead leader's scheduler
/// lease takes to move to another keyrotd.
struct PostgresBenchmark: AsyncParsableCommand, TimedRounds {
    static let configuration = CommandConfiguration(
        commandName: "postgres",
        abstract: "The PostgreSQL store beside the SQLite store and PostgreSQL's one-row commit; leader failover."
    )

    @Option(help: "An empty database the benchmark may fill: postgresql://USER@HOST:PORT/DATABASE.") var url: String
    @Option(help: "Seconds per measurement.") var seconds: Double = 1
    @Option(help: "Rounds per measurement; the median is reported.") var rounds: Int = 5
    @Option(help: "Leader kills for the failover measurement.") var kills: Int = 5
    @Option(help: "Workspaces the emergency rotations go round.") var rotatedWorkspaces: Int = 200

    func run() async throws {
        let address = try PostgresAddress(parsing: url)
        let directory = FileManager.default.temporaryDirectory.path + "/keyrot-pg-bench-\(getpid())"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        // The master key: a file for the failover's daemons, the same bytes for the stores opened here.
        var keyBytes = [UInt8](repeating: 0, count: MasterKey.length)
        try keyBytes.withUnsafeMutableBytes { try SecureRandom.fill($0) }
        let masterKeyFile = directory + "/master-key"
        _ = FileManager.default.createFile(
            atPath: masterKeyFile,
            contents: Data(keyBytes),
            attributes: [.posixPermissions: 0o600]
        )
        let masterKey = try MasterKey(SecretBytes(copying: keyBytes))
        let now = Timestamp(secondsSinceEpoch: Int64(Date().timeIntervalSince1970))
        let actor = AuditActor(uid: Int64(getuid()), pid: Int64(getpid()))
        let logger = Logger(label: "keyrot-bench")
        let sqlite = try SQLiteKeyStore(
            path: directory + "/bench.db",
            sealer: MasterKeySealer(masterKey: masterKey),
            sha3: SHA3.digest(bits:of:),
            now: now
        )
        let postgres = try PostgresKeyStore(
            address: address,
            password: nil,
            sealer: MasterKeySealer(masterKey: masterKey),
            sha3: SHA3.digest(bits:of:),
            now: now,
            logger: logger
        )

        print("| measurement | SQLite store | PostgreSQL store | PostgreSQL / SQLite |")
        print("| --- | --- | --- | --- |")
        let workspace = try WorkspaceName("signing")
        let request = TokenRequest(userID: "user-42")
        var signing: [(String, Double)] = []
        for (name, store) in [("SQLite", sqlite as any KeyStore), ("PostgreSQL", postgres)] {
            try store.createWorkspace(workspace, policy: .standard, at: now, actor: actor)
            let tokens = TokenService(store: store, masterKey: masterKey)
            let token = try tokens.sign(request, for: workspace, at: now).token
            let sign = try median { try rate { _ = try tokens.sign(request, for: workspace, at: now) } }
            let verify = try median { try rate { _ = try tokens.verify(token, for: workspace, at: now) } }
            signing.append((name + " sign", sign))
            signing.append((name + " verify", verify))
        }
        for (index, what) in ["sign, in-process", "verify, in-process"].enumerated() {
            let (sqliteRate, postgresRate) = (signing[index].1, signing[index + 2].1)
            print(
                "| \(what) | \(Int(sqliteRate)) /s | \(Int(postgresRate)) /s | "
                    + String(format: "%.2f", postgresRate / sqliteRate) + " |"
            )
        }

        // Round robin over many workspaces, so that each keeps a handful of keys as a real one does (a single
        // workspace rotated a thousand times would measure reading a thousand revoked keys).
        let rotating = try (0..<rotatedWorkspaces).map { try WorkspaceName("rotating-\($0)") }
        var emergencies: [LatencySummary] = []
        for store in [sqlite as any KeyStore, postgres] {
            for name in rotating { try store.createWorkspace(name, policy: .standard, at: now, actor: actor) }
            let clock = ContinuousClock()
            let start = clock.now
            var samples: [Duration] = []
            while clock.now - start < .seconds(seconds * Double(rounds)) {
                let begin = clock.now
                let name = rotating[samples.count % rotating.count]
                try store.rotate(name, mode: .emergency, reason: "keyrot-bench", at: now, actor: actor)
                samples.append(clock.now - begin)
            }
            emergencies.append(LatencySummary(samples, elapsed: clock.now - start))
        }
        let sqliteFloor = try CommitFloor.measure(in: directory, seconds: seconds * Double(rounds))
        let postgresFloor = try PostgresCommitFloor.measure(address, seconds: seconds * Double(rounds))
        let sqliteCommit = LatencySummary(sqliteFloor.samples, elapsed: sqliteFloor.elapsed)
        let postgresCommit = LatencySummary(postgresFloor.samples, elapsed: postgresFloor.elapsed)
        print(
            "| emergency rotation, in-process | \(emergencies[0].cell) | \(emergencies[1].cell) | "
                + ratio(emergencies[1].p50, emergencies[0].p50) + " (p50) |"
        )
        print(
            "| the database's one-row commit | \(sqliteCommit.cell) | \(postgresCommit.cell) | "
                + ratio(postgresCommit.p50, sqliteCommit.p50) + " (p50) |"
        )
        print(
            "| emergency rotation / one-row commit (p50) | " + ratio(emergencies[0].p50, sqliteCommit.p50) + " | "
                + ratio(emergencies[1].p50, postgresCommit.p50) + " | |"
        )
        try sqlite.close()
        try postgres.close()

        let failovers = try await LeaderFailover.measure(
            url: url,
            masterKeyFile: masterKeyFile,
            kills: kills,
            in: directory
        )
        let sorted = failovers.sorted()
        print(
            "\nleader failover (SIGKILL of the leader to another keyrotd's \"now runs the schedule\"), \(kills) kills: "
                + "p50 \(sorted[sorted.count / 2].milliseconds) ms, max \(sorted.last!.milliseconds) ms "
                + "(RotationService.leaseRetry is \(RotationService.leaseRetry)); each, in order: "
                + failovers.map { "\($0.milliseconds) ms" }.joined(separator: ", ")
        )
        print("\nIn-process through TokenService and the stores; \(rounds) rounds of \(seconds) s each, medians.")
    }

    private func ratio(_ a: Duration, _ b: Duration) -> String {
        String(format: "%.2f×", Double(a.microseconds) / Double(max(b.microseconds, 1)))
    }
}

extension Duration {
    /// Whole milliseconds, rounded down.
    var milliseconds: Int64 { microseconds / 1000 }
}
#endif
