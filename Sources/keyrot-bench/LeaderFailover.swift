#if PostgreSQL
import Foundation
import KeyrotDaemon

/// How long the rotation scheduler of three keyrotd processes sharing one PostgreSQL store is without a leader after
/// the leader is killed: from SIGKILL to another process logging that it now runs the schedule.
///
/// Each kill comes at a random moment of the followers' retry period, once every process has made its first pass (a
/// process just started asks for the lease at once: killing the leader then would measure its start, not a
/// follower's retry).
enum LeaderFailover {
    static let tookLease = "this keyrotd now runs the schedule"
    static let following = "this keyrotd no longer runs the schedule"

    /// Kills the leader `kills` times (starting it again after each), and returns each failover's duration.
    static func measure(
        url: String,
        masterKeyFile keyFile: String,
        kills: Int,
        in directory: String
    ) async throws
        -> [Duration]
    {
        try """
        [store]
        backend = "postgresql"
        url = "\(url)"

        [workspace.failover]
        rotate_every = "1h"
        """.write(toFile: directory + "/failover.toml", atomically: true, encoding: .utf8)
        var daemons: [SpawnedDaemon?] = [nil, nil, nil]
        var starts = 0
        func start(_ index: Int) async throws {
            starts += 1
            let daemon = try SpawnedDaemon(
                executable: ScaleBenchmark.besideThisExecutable("keyrotd"),
                stateDirectory: directory + "/host\(index)",
                masterKeyFile: keyFile,
                socket: directory + "/host\(index).sock",
                notifySocket: directory + "/notify\(starts).sock",
                log: directory + "/host\(index).log.\(starts)",
                watchdog: nil,
                extraArguments: ["--config", directory + "/failover.toml"]
            )
            guard try await daemon.waitUntilReady(timeout: .seconds(30)) != nil else {
                throw ScaleFailure("keyrotd did not start: see \(directory)/host\(index).log.\(starts)")
            }
            daemons[index] = daemon
        }
        for index in daemons.indices { try await start(index) }
        defer { for daemon in daemons { daemon?.stop() } }
        var failovers: [Duration] = []
        for _ in 0..<kills {
            let leader = try await waitForLeader(daemons, directory: directory)
            try await waitUntilFollowing(daemons, leader: leader)
            let retry = Double(RotationService.leaseRetry.seconds)
            try await Task.sleep(for: .seconds(Double.random(in: 0..<retry)))
            let before = daemons.indices.map { tookCount(daemons[$0], directory: directory) }
            let clock = ContinuousClock()
            let killedAt = clock.now
            kill(daemons[leader]!.pid, SIGKILL)
            while true {
                let now = daemons.indices.filter { $0 != leader }.contains { index in
                    tookCount(daemons[index], directory: directory) > before[index]
                }
                if now { break }
                guard clock.now - killedAt < .seconds(60) else { throw ScaleFailure("no keyrotd took the lease") }
                try await Task.sleep(for: .milliseconds(5))
            }
            failovers.append(clock.now - killedAt)
            daemons[leader]?.process.waitUntilExit()
            daemons[leader]?.notify.close()
            try await start(leader)
        }
        return failovers
    }

    /// The index of the process whose log says last that it took the lease.
    private static func waitForLeader(_ daemons: [SpawnedDaemon?], directory: String) async throws -> Int {
        let deadline = ContinuousClock.now + .seconds(30)
        while ContinuousClock.now < deadline {
            let counts = daemons.map { tookCount($0, directory: directory) }
            if let index = counts.indices.first(where: { counts[$0] > 0 && leads(daemons[$0]) }) { return index }
            try await Task.sleep(for: .milliseconds(10))
        }
        throw ScaleFailure("no keyrotd leads")
    }

    /// Waits until every process but the leader has said that it follows.
    private static func waitUntilFollowing(_ daemons: [SpawnedDaemon?], leader: Int) async throws {
        let deadline = ContinuousClock.now + .seconds(30)
        while daemons.indices.contains(where: { $0 != leader && !log(of: daemons[$0]).contains(following) }) {
            guard ContinuousClock.now < deadline else { throw ScaleFailure("a keyrotd never made its first pass") }
            try await Task.sleep(for: .milliseconds(10))
        }
    }

    private static func log(of daemon: SpawnedDaemon?) -> String {
        guard let daemon, let path = daemon.logPath else { return "" }
        return (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
    }

    private static func tookCount(_ daemon: SpawnedDaemon?, directory: String) -> Int {
        log(of: daemon).components(separatedBy: tookLease).count - 1
    }

    private static func leads(_ daemon: SpawnedDaemon?) -> Bool {
        let text = log(of: daemon)
        guard let took = text.range(of: tookLease, options: .backwards) else { return false }
        guard let lost = text.range(of: following, options: .backwards) else { return true }
        return took.lowerBound > lost.lowerBound
    }
}
#endif
