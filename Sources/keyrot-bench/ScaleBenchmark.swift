import ArgumentParser
import Foundation
import KeyrotCore
import KeyrotCrypto

/// `keyrot-bench scale`: the real release `keyrotd` on a database of many workspaces. Start-up time to `READY=1`
/// and resident memory, CPU while idle between deadlines, a cohort of workspaces falling due at one moment and
/// rotated while the daemon runs, and emergency rotations over the socket, each beside SQLite's own one-row
/// `synchronous=FULL` commit measured in the same run on the same file system.
///
/// - Important: Workspaces come from the database, as in a deployment that adds tenants with
///   `keyrotctl workspace add` (`CreateWorkspace`); the configuration declares none.
struct ScaleBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "scale",
        abstract: "keyrotd (the release binary) with many workspaces: start-up, memory, idle CPU, rotation rates."
    )

    @Option(help: "Workspaces in the database.") var workspaces = 100_000
    @Option(help: "Of those, how many fall due at the same moment while the daemon runs.") var due = 10_000
    @Option(help: "Seconds to wait after READY before reading memory again.") var settleSeconds: Double = 3
    @Option(help: "Seconds of idle CPU to measure (no rotation is due).") var idleSeconds: Double = 10
    @Option(help: "Emergency rotations to make over the socket, one after another.") var emergencyRotations = 200
    @Option(help: "Seconds per round of the SQLite commit floor.") var floorSeconds: Double = 1
    @Option(help: "Rounds of the SQLite commit floor and the emergency rotations, one after the other.") var rounds = 5
    @Option(help: "WATCHDOG_USEC for the daemon, in seconds, as WatchdogSec= in keyrotd.service; 0 for none.")
    var watchdogSeconds: Double = 30
    @Option(help: "The keyrotd executable (default: beside keyrot-bench).") var keyrotd: String?
    @Option(help: "Where the daemon's state goes (its file system is the one measured).") var directory: String?
    @Option(help: "A tmpfs directory to build the database in before it is copied to the state directory.")
    var scratch = "/dev/shm"
    @Flag(help: "Keep the state directory afterwards.") var keep = false

    func validate() throws {
        guard workspaces >= 1, (0...workspaces).contains(due) else {
            throw ValidationError("--due must be between 0 and --workspaces")
        }
        guard emergencyRotations <= workspaces - due else {
            throw ValidationError("--emergency-rotations must be at most --workspaces minus --due")
        }
    }

    func run() async throws {
        let base = directory ?? FileManager.default.temporaryDirectory.path + "/keyrot-scale-\(getpid())"
        let scratchDirectory = scratch + "/keyrot-scale-\(getpid())"
        for path in [base, scratchDirectory] {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        }
        defer {
            try? FileManager.default.removeItem(atPath: scratchDirectory)
            if !keep { try? FileManager.default.removeItem(atPath: base) }
        }
        var report = ScaleReport()
        report.note("load at start: \(Self.loadAverage())")

        // The master key: a file for the daemon, the same bytes for building the database.
        var keyBytes = [UInt8](repeating: 0, count: MasterKey.length)
        try keyBytes.withUnsafeMutableBytes { try SecureRandom.fill($0) }
        let masterKeyFile = base + "/master-key"
        _ = FileManager.default.createFile(
            atPath: masterKeyFile,
            contents: Data(keyBytes),
            attributes: [.posixPermissions: 0o600]
        )
        let masterKey = try MasterKey(SecretBytes(copying: keyBytes))

        // The database: every workspace with the built-in policy (rotate every 30 d), created over the last 29 days
        // so none is due within a day, except the cohort, created 30 days before a moment `dueAt` a few seconds
        // after the idle measurement.
        let clock = ContinuousClock()
        let buildStart = clock.now
        let now = Timestamp(secondsSinceEpoch: Int64(Date().timeIntervalSince1970))
        let policy = WorkspacePolicy.standard
        let database = try ScaleDatabase(scratchDirectory: scratchDirectory, masterKey: masterKey, now: now)
        let spread = TimeSpan(seconds: TimeSpan.days(29).seconds - TimeSpan.hours(1).seconds)
        let steady = workspaces - due
        try database.createWorkspaces(0..<steady, policy: policy) { index in
            Timestamp(secondsSinceEpoch: now.secondsSinceEpoch - TimeSpan.days(29).seconds)
                + TimeSpan(seconds: spread.seconds * Int64(index) / Int64(max(steady, 1)))
        }
        let perWorkspace = (clock.now - buildStart).inSeconds / Double(max(steady, 1))
        let cohortBuild = Double(due) * perWorkspace * 1.5 + 1
        let lead = cohortBuild + 5 + settleSeconds + idleSeconds + 3
        let dueAt = Timestamp(secondsSinceEpoch: Int64((Date().timeIntervalSince1970 + lead).rounded(.up)))
        try database.createWorkspaces(steady..<workspaces, policy: policy) { _ in
            Timestamp(secondsSinceEpoch: dueAt.secondsSinceEpoch - policy.rotateEvery.seconds)
        }
        // Start-up.
        let (daemon, ready) = try await SpawnedDaemon.startOnBuiltDatabase(
            database,
            workspaces: workspaces,
            builtSince: buildStart,
            base: base,
            executable: keyrotd ?? Self.besideThisExecutable("keyrotd"),
            masterKeyFile: masterKeyFile,
            watchdogSeconds: watchdogSeconds,
            report: &report
        )
        defer { daemon.stop() }
        guard let atReady = ProcessUsage(pid: daemon.pid) else { throw ScaleFailure("keyrotd exited after READY") }
        report.row(
            "spawn to READY=1, \(workspaces) workspaces",
            String(format: "%.3f s", ready.inSeconds),
            "< 2 s: " + (ready < .seconds(2) ? "**met**" : "**missed**")
        )
        try await Task.sleep(for: .seconds(settleSeconds))
        guard let settled = ProcessUsage(pid: daemon.pid) else { throw ScaleFailure("keyrotd exited") }
        report.row(
            "resident memory at READY (VmRSS; VmHWM)",
            "\(ProcessUsage.mebibytes(atReady.residentBytes)); \(ProcessUsage.mebibytes(atReady.peakResidentBytes))",
            "< 200 MiB: " + (atReady.peakResidentBytes < 200 << 20 ? "**met**" : "**missed**")
        )
        report.row(
            String(format: "resident memory %.0f s after READY (VmRSS; VmHWM)", settleSeconds),
            "\(ProcessUsage.mebibytes(settled.residentBytes)); \(ProcessUsage.mebibytes(settled.peakResidentBytes))",
            "< 200 MiB: " + (settled.peakResidentBytes < 200 << 20 ? "**met**" : "**missed**")
        )
        report.note(
            String(
                format: "CPU from spawn to READY: %.2f s; to READY + %.0f s: %.2f s; %d threads",
                atReady.cpuSeconds,
                settleSeconds,
                settled.cpuSeconds,
                settled.threads
            )
        )

        // Idle: nothing due until `dueAt`.
        let audit = try AuditLogWatcher(path: base + "/state/keyrotd.db")
        let seqBeforeIdle = try audit.lastSeq()
        let pingsBefore = daemon.watchdogPings
        let idleStart = clock.now
        guard let before = ProcessUsage(pid: daemon.pid) else { throw ScaleFailure("keyrotd exited") }
        try await Task.sleep(for: .seconds(idleSeconds))
        guard let after = ProcessUsage(pid: daemon.pid) else { throw ScaleFailure("keyrotd exited") }
        let idleWall = (clock.now - idleStart).inSeconds
        let idleCPU = (after.cpuSeconds - before.cpuSeconds) / idleWall
        let idleChanges = try audit.lastSeq() - seqBeforeIdle
        report.row(
            String(format: "CPU while idle between deadlines, over %.1f s", idleWall),
            String(format: "%.4f CPU-s per s", idleCPU),
            "sleeps, not polls: \(idleCPU < 0.01 ? "**met**" : "**missed**") (\(daemon.watchdogPings - pingsBefore) "
                + "watchdog pings, \(idleChanges) audit rows in the window)"
        )

        // The cohort falls due at `dueAt`.
        let seqBeforeCohort = try audit.lastSeq()
        let untilDue = Double(dueAt.secondsSinceEpoch) - Date().timeIntervalSince1970
        if untilDue < 0 { report.note(String(format: "the cohort fell due %.1f s before its watch began", -untilDue)) }
        let dueInstant = clock.now + .milliseconds(Int64(untilDue * 1000))
        var firstSeen: ContinuousClock.Instant?
        var lastSeen = clock.now
        var rotated = 0
        let giveUp = dueInstant + .seconds(Double(due) / 20 + 60)
        guard let beforeCohort = ProcessUsage(pid: daemon.pid) else { throw ScaleFailure("keyrotd exited") }
        while rotated < due, clock.now < giveUp {
            try await Task.sleep(for: .milliseconds(10))
            let count = try audit.count("rotated", after: seqBeforeCohort)
            if count > 0, firstSeen == nil { firstSeen = clock.now }
            if count > rotated { lastSeen = clock.now }
            rotated = count
        }
        guard let afterCohort = ProcessUsage(pid: daemon.pid) else { throw ScaleFailure("keyrotd exited") }
        if due > 0 {
            let fromDue = (lastSeen - dueInstant).inSeconds
            let active = firstSeen.map { (lastSeen - $0).inSeconds } ?? 0
            report.row(
                "\(due) workspaces falling due at once: rotated (scheduled, one transaction each)",
                String(
                    format: "%d in %.2f s from the deadline = %.0f rotations/s (first after %.2f s; %.0f/s from then)",
                    rotated,
                    fromDue,
                    Double(rotated) / fromDue,
                    firstSeen.map { ($0 - dueInstant).inSeconds } ?? 0,
                    active > 0 ? Double(rotated) / active : 0
                ),
                rotated == due ? "all done" : "**only \(rotated) of \(due)**"
            )
            report.cohortRate = Double(rotated) / fromDue
            report.row(
                "CPU and memory of that burst",
                String(
                    format: "%.2f CPU-s (%.0f µs per rotation); ",
                    afterCohort.cpuSeconds - beforeCohort.cpuSeconds,
                    (afterCohort.cpuSeconds - beforeCohort.cpuSeconds) / Double(max(rotated, 1)) * 1e6
                )
                    + "VmRSS \(ProcessUsage.mebibytes(afterCohort.residentBytes)), "
                    + "VmHWM \(ProcessUsage.mebibytes(afterCohort.peakResidentBytes))",
                "< 200 MiB: " + (afterCohort.peakResidentBytes < 200 << 20 ? "**met**" : "**missed**")
            )
        }
        try await Task.sleep(for: .seconds(1))  // the pass after the burst

        // Rounds of SQLite's own commit, each followed by a share of the emergency rotations over the socket, so both
        // see the same disk (shared with other work, its latency moves from minute to minute).
        guard let beforeEmergency = ProcessUsage(pid: daemon.pid) else { throw ScaleFailure("keyrotd exited") }
        var floorSamples: [Duration] = []
        var floorElapsed = Duration.zero
        var emergencySamples: [Duration] = []
        var emergencyElapsed = Duration.zero
        var ratios: [Double] = []
        let perRound = max(1, emergencyRotations / rounds)
        for round in 0..<rounds {
            let floor = try CommitFloor.measure(in: base, seconds: floorSeconds)
            let calls = try await EmergencyRotations.latencies(
                socket: base + "/control.sock",
                workspaces: round * perRound..<(round + 1) * perRound,
                reason: "keyrot-bench scale"
            )
            ratios.append(
                LatencySummary(calls.samples, elapsed: calls.elapsed).p50
                    / LatencySummary(floor.samples, elapsed: floor.elapsed).p50
            )
            floorSamples += floor.samples
            floorElapsed += floor.elapsed
            emergencySamples += calls.samples
            emergencyElapsed += calls.elapsed
        }
        guard let afterEmergency = ProcessUsage(pid: daemon.pid) else { throw ScaleFailure("keyrotd exited") }
        let floor = LatencySummary(floorSamples, elapsed: floorElapsed)
        let emergency = LatencySummary(emergencySamples, elapsed: emergencyElapsed)
        report.row(
            "SQLite one-row INSERT commit, WAL, synchronous=FULL, same file system, \(rounds) rounds of "
                + String(format: "%.1f s", floorSeconds),
            floor.cell,
            "-"
        )
        report.row(
            "emergency rotation over the socket (io.keyrotd.Rotate, emergency: true; ControlClient, one after another; "
                + "\(rounds) rounds of \(perRound), each right after a floor round)",
            emergency.cell,
            "p50 ≤ 3× the commit floor's p50: \(emergency.p50 <= floor.p50 * 3 ? "**met**" : "**missed**") "
                + String(format: "(%.2f×; per round: ", emergency.p50 / floor.p50)
                + ratios.map { String(format: "%.2f", $0) }.joined(separator: ", ") + ")"
        )
        report.note(
            String(
                format: "daemon CPU during the emergency rotations: %.2f CPU-s, %.2f ms per rotation",
                afterEmergency.cpuSeconds - beforeEmergency.cpuSeconds,
                (afterEmergency.cpuSeconds - beforeEmergency.cpuSeconds) / Double(max(emergency.count, 1)) * 1000
            )
        )
        if let rate = report.cohortRate {
            report.note(
                String(
                    format: "scheduled rotations ran at %.2f of the commit floor's rate (%.0f /s, measured after them)",
                    rate / floor.rate,
                    floor.rate
                )
            )
        }
        guard let end = ProcessUsage(pid: daemon.pid) else { throw ScaleFailure("keyrotd exited") }
        report.row(
            "resident memory at the end (VmRSS; VmHWM)",
            "\(ProcessUsage.mebibytes(end.residentBytes)); \(ProcessUsage.mebibytes(end.peakResidentBytes))",
            "< 200 MiB: " + (end.peakResidentBytes < 200 << 20 ? "**met**" : "**missed**")
        )
        let stopStart = clock.now
        let status = daemon.stop()
        report.note(
            String(format: "SIGTERM to exit: %.2f s, exit status %d", (clock.now - stopStart).inSeconds, status)
        )
        report.note("WATCHDOG=1 pings over the whole run: \(daemon.watchdogPings)")
        report.note("load at end: \(Self.loadAverage())")
        report.print(
            header:
                "\(workspaces) workspaces, \(due) due at once; \(ProcessInfo.processInfo.activeProcessorCount) cores"
        )
    }

    /// The 1, 5 and 15 minute load averages, as `uptime` shows them.
    static func loadAverage() -> String {
        let text = (try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8)) ?? "?"
        return text.split(separator: " ").prefix(3).joined(separator: " ")
    }

    /// The path of `name` in the directory this executable is in.
    static func besideThisExecutable(_ name: String) -> String {
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appending(path: name).path
    }
}

/// Why the scale benchmark could not go on.
struct ScaleFailure: Error, CustomStringConvertible {
    var description: String

    init(_ description: String) { self.description = description }
}
