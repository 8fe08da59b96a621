import ArgumentParser
import Foundation
import KeyrotCore
import KeyrotCrypto

/// `keyrot-bench steady`: the real release `keyrotd` keeping up with a steady stream of scheduled rotations. Of
/// many workspaces, a share falls due over a window that opens after `READY=1`, spread over its whole seconds
/// (``SteadyWindow``); the benchmark reads the audit log every few milliseconds through a read-only connection and
/// takes each `rotated` row's lag from the moment it was first seen committed. It also measures the daemon's CPU
/// per scheduled rotation (beyond its idle rate, measured over as long a quiet period just before the window) and,
/// in the same run after the window, per emergency rotation over the control socket.
///
/// - Important: The window is fixed in the database before the daemon starts, from an estimate of how long
///   copying and starting take (`--start-lead-seconds`). If `READY=1` comes too late to leave a quiet period
///   before the window, the benchmark fails rather than report figures the start-up bent.
struct SteadyBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "steady",
        abstract: "keyrotd (the release binary) rotating a steady stream of due workspaces: lag, CPU per rotation."
    )

    @Option(help: "Workspaces in the database.") var workspaces = 100_000
    @Option(help: "Of those, how many fall due during the window.") var due = 6000
    @Option(help: "Seconds the window lasts; the due workspaces share its whole seconds.") var windowSeconds = 60
    @Option(help: "Seconds allowed from the last workspace built to READY=1 (copying the database, starting).")
    var startLeadSeconds: Double = 20
    @Option(help: "Seconds after READY before the quiet period (the scheduler's first pass reads every workspace).")
    var settleSeconds: Double = 3
    @Option(help: "Milliseconds between two reads of the audit log during the window.") var pollMilliseconds = 2
    @Option(help: "Seconds of daemon CPU counted after the last rotation was seen.") var tailSeconds: Double = 0.5
    @Option(help: "Emergency rotations to make over the socket after the window, one after another.")
    var emergencyRotations = 500
    @Option(help: "WATCHDOG_USEC for the daemon, in seconds, as WatchdogSec= in keyrotd.service; 0 for none.")
    var watchdogSeconds: Double = 30
    @Option(help: "The keyrotd executable (default: beside keyrot-bench).") var keyrotd: String?
    @Option(help: "Where the daemon's state goes (its file system is the one measured).") var directory: String?
    @Option(help: "A tmpfs directory to build the database in before it is copied to the state directory.")
    var scratch = "/dev/shm"
    @Flag(help: "Keep the state directory afterwards.") var keep = false

    /// The shortest quiet period that gives an idle rate worth subtracting.
    static let shortestQuietPeriod = Duration.seconds(5)
    /// How long before the window the quiet period ends.
    static let quietMargin = Duration.milliseconds(500)

    func validate() throws {
        guard workspaces >= 1, (1...workspaces).contains(due) else {
            throw ValidationError("--due must be between 1 and --workspaces")
        }
        guard windowSeconds >= 1, pollMilliseconds >= 1 else {
            throw ValidationError("--window-seconds and --poll-milliseconds must be at least 1")
        }
        guard emergencyRotations >= 1, emergencyRotations <= workspaces - due else {
            throw ValidationError("--emergency-rotations must be between 1 and --workspaces minus --due")
        }
    }

    func run() async throws {
        let base = directory ?? FileManager.default.temporaryDirectory.path + "/keyrot-steady-\(getpid())"
        let scratchDirectory = scratch + "/keyrot-steady-\(getpid())"
        for path in [base, scratchDirectory] {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        }
        defer {
            try? FileManager.default.removeItem(atPath: scratchDirectory)
            if !keep { try? FileManager.default.removeItem(atPath: base) }
        }
        var report = ScaleReport()
        report.note("load at start: \(ScaleBenchmark.loadAverage())")
        let masterKey = try MasterKey.generate()
        let masterKeyFile = base + "/master-key"
        _ = FileManager.default.createFile(
            atPath: masterKeyFile,
            contents: masterKey.withUnsafeBytes { Data($0) },
            attributes: [.posixPermissions: 0o600]
        )

        // The database: every workspace with the built-in policy (rotate every 30 d). Those not due were created
        // over the last 29 days, so none falls due within a day; the window's were created 30 days before their
        // deadlines, which are fixed once the rest is built, from how long building them should take.
        let clock = ContinuousClock()
        let buildStart = clock.now
        let now = Timestamp(secondsSinceEpoch: Int64(Date().timeIntervalSince1970))
        let policy = WorkspacePolicy.standard
        let database = try ScaleDatabase(scratchDirectory: scratchDirectory, masterKey: masterKey, now: now)
        let notDue = workspaces - due
        let spread = TimeSpan.days(29).seconds - TimeSpan.hours(1).seconds
        try database.createWorkspaces(0..<notDue, policy: policy) { index in
            now + .seconds(spread * Int64(index) / Int64(max(notDue, 1)) - TimeSpan.days(29).seconds)
        }
        let perWorkspace = (clock.now - buildStart).inSeconds / Double(max(notDue, 1))
        let lead =
            Double(due) * perWorkspace * 1.5 + 1 + startLeadSeconds + settleSeconds + Double(windowSeconds)
            + Self.quietMargin.inSeconds
        let window = SteadyWindow(
            start: Timestamp(secondsSinceEpoch: Int64((Date().timeIntervalSince1970 + lead).rounded(.up))),
            seconds: windowSeconds,
            count: due
        )
        try database.createWorkspaces(notDue..<workspaces, policy: policy) { index in
            window.deadline(index - notDue) + .seconds(-policy.rotateEvery.seconds)
        }
        // Start-up, and the window as it fell.
        let (daemon, ready) = try await SpawnedDaemon.startOnBuiltDatabase(
            database,
            workspaces: workspaces,
            builtSince: buildStart,
            base: base,
            executable: keyrotd ?? ScaleBenchmark.besideThisExecutable("keyrotd"),
            masterKeyFile: masterKeyFile,
            watchdogSeconds: watchdogSeconds,
            report: &report
        )
        defer { daemon.stop() }
        let readyAt = daemon.spawnedAt + ready
        let windowStart = window.startOnMonotonicClock()
        guard readyAt < windowStart else {
            throw ScaleFailure(
                String(format: "READY=1 came %.2f s after the window had started: ", (readyAt - windowStart).inSeconds)
                    + "its first deadlines fell during start-up; give a larger --start-lead-seconds"
            )
        }
        let quietEnd = windowStart - Self.quietMargin
        let quietStart = max(readyAt + .seconds(settleSeconds), quietEnd - .seconds(windowSeconds))
        guard quietEnd - quietStart >= Self.shortestQuietPeriod else {
            throw ScaleFailure(
                String(format: "READY=1 came only %.2f s before the window: ", (windowStart - readyAt).inSeconds)
                    + "no quiet period to measure the idle CPU in; give a larger --start-lead-seconds"
            )
        }
        report.row(
            "spawn to READY=1, \(workspaces) workspaces",
            String(format: "%.3f s", ready.inSeconds),
            "-"
        )
        report.row(
            "the window: \(due) deadlines over \(windowSeconds) whole seconds "
                + "(\(Self.share(due, windowSeconds)) at each)",
            String(
                format: "first at READY + %.2f s, last at READY + %.2f s",
                (windowStart - readyAt).inSeconds,
                (windowStart - readyAt).inSeconds + Double(window.second(of: due - 1))
            ),
            "after READY: **yes**"
        )

        // The quiet period: nothing due, as long as the window (or what start-up left of it).
        let audit = try AuditLogWatcher(path: base + "/state/keyrotd.db")
        try await Task.sleep(until: quietStart, clock: .continuous)
        let seqBeforeQuiet = try audit.lastSeq()
        let quiet = try await Self.daemonCPU(of: daemon.pid) {
            try await Task.sleep(until: quietEnd, clock: .continuous)
        }
        let idleRate = quiet.cpuSeconds / quiet.elapsed.inSeconds
        let seqBeforeWindow = try audit.lastSeq()
        report.row(
            String(format: "daemon CPU in the quiet period just before the window, %.1f s", quiet.elapsed.inSeconds),
            String(format: "%.4f CPU-s per s", idleRate),
            "subtracted below (\(seqBeforeWindow - seqBeforeQuiet) audit rows in the period)"
        )

        // The window: every few milliseconds, the `rotated` rows committed since the last look.
        let positions = Dictionary(
            uniqueKeysWithValues: (0..<due).map { (ScaleDatabase.name(notDue + $0).rawValue, $0) }
        )
        var lags = RotationLags(window: window, start: window.startOnMonotonicClock())
        var others = 0
        try await Task.sleep(until: lags.start, clock: .continuous)
        let benchAtStart = ProcessUsage(pid: getpid())
        let giveUp = lags.start + .seconds(windowSeconds) + .seconds(max(60, Double(due) / 20))
        let windowCPU = try await Self.daemonCPU(of: daemon.pid) {
            var after = seqBeforeWindow
            while lags.seen < due, clock.now < giveUp {
                try await Task.sleep(for: .milliseconds(pollMilliseconds))
                let asked = clock.now
                for entry in try audit.entries("rotated", after: after) {
                    after = entry.seq
                    if let position = positions[entry.workspace] {
                        lags.record(position, seenAt: asked)
                    } else {
                        others += 1
                    }
                }
            }
            try await Task.sleep(until: (lags.lastSeen ?? clock.now) + .seconds(tailSeconds), clock: .continuous)
        }
        let benchAtEnd = ProcessUsage(pid: getpid())
        let lag = lags.summary
        let perSecond = lags.perSecond
        let scheduledCPU = (windowCPU.cpuSeconds - idleRate * windowCPU.elapsed.inSeconds) / Double(max(lags.seen, 1))
        report.row(
            "scheduled rotations seen (the audit log read every \(pollMilliseconds) ms, read-only)",
            "\(lags.seen) of \(due)"
                + String(
                    format: ", the last %.2f s after the last deadline",
                    ((lags.lastSeen ?? lags.start) - lags.start).inSeconds - Double(window.second(of: due - 1))
                ),
            lags.seen == due ? "all" : "**only \(lags.seen)**"
        )
        report.row(
            "lag, deadline to the row seen committed",
            "p50 \(Self.milliseconds(lag.p50)), p99 \(Self.milliseconds(lag.p99)), "
                + "max \(Self.milliseconds(lags.longest))",
            "p99 ≤ 1 s: " + (lag.p99 <= .seconds(1) ? "**met**" : "**missed**")
        )
        report.row(
            "per deadline second: its first rotation seen; its last (the \(Self.share(due, windowSeconds)) cleared)",
            "median \(Self.milliseconds(Self.median(perSecond.shortest))), "
                + "max \(Self.milliseconds(perSecond.shortest.max() ?? .zero)); "
                + "median \(Self.milliseconds(Self.median(perSecond.longest))), "
                + "max \(Self.milliseconds(perSecond.longest.max() ?? .zero))",
            "-"
        )
        report.row(
            "daemon CPU from the window's start to the last rotation + "
                + String(format: "%.1f s (%.1f s)", tailSeconds, windowCPU.elapsed.inSeconds),
            String(
                format: "%.2f CPU-s; less the idle rate, %.2f ms per scheduled rotation",
                windowCPU.cpuSeconds,
                scheduledCPU * 1000
            ),
            "-"
        )
        if let benchAtStart, let benchAtEnd {
            report.note(
                String(
                    format: "keyrot-bench's own CPU over the window (reading the audit log): %.2f CPU-s",
                    benchAtEnd.cpuSeconds - benchAtStart.cpuSeconds
                )
            )
        }

        // What the audit log holds once the window is over: every row committed, with its seconds-granular time.
        let committed = try audit.entries("rotated", after: seqBeforeWindow)
        let cohort = committed.compactMap { entry in positions[entry.workspace].map { (entry, $0) } }
        let distinct = Set(cohort.map(\.1)).count
        let early = cohort.filter { $0.0.at < window.deadline($0.1).secondsSinceEpoch }.count
        let late = cohort.filter { $0.0.at > window.deadline($0.1).secondsSinceEpoch }.count
        report.row(
            "`rotated` rows in audit_log after the window",
            "\(committed.count): \(distinct) workspaces of the window, \(committed.count - cohort.count) others; "
                + "`at` before the deadline \(early), after it \(late)",
            distinct == due && cohort.count == due && others == 0 && early == 0
                ? "as scheduled" : "**not as scheduled**"
        )

        // Emergency rotations over the socket, on workspaces spread evenly over those not due, as an operator's
        // emergencies would fall (not the next ones due: each of those is first in the schedule's queues).
        let emergency = try await Self.daemonCPU(of: daemon.pid) {
            try await EmergencyRotations.latencies(
                socket: base + "/control.sock",
                workspaces: (0..<emergencyRotations).lazy.map { $0 * notDue / emergencyRotations },
                reason: "keyrot-bench steady"
            )
        }
        let emergencyLatency = LatencySummary(emergency.result.samples, elapsed: emergency.result.elapsed)
        let emergencyCPU =
            (emergency.cpuSeconds - idleRate * emergency.elapsed.inSeconds) / Double(max(emergencyLatency.count, 1))
        report.row(
            "emergency rotations over the socket (io.keyrotd.Rotate, emergency: true; ControlClient, one after "
                + "another; workspaces spread evenly over those not due)",
            emergencyLatency.cell
                + String(
                    format: "; %.2f CPU-s, less the idle rate %.2f ms each",
                    emergency.cpuSeconds,
                    emergencyCPU * 1000
                ),
            "-"
        )
        report.row(
            "daemon CPU per scheduled rotation against an emergency one's",
            String(format: "%.2f×", scheduledCPU / emergencyCPU),
            "≤ 1.5×: " + (scheduledCPU <= 1.5 * emergencyCPU ? "**met**" : "**missed**")
        )
        let floor = try CommitFloor.measure(in: base, seconds: 1)
        report.row(
            "SQLite one-row INSERT commit, WAL, synchronous=FULL, same file system, 1 s after the rest",
            LatencySummary(floor.samples, elapsed: floor.elapsed).cell,
            "-"
        )
        guard let end = ProcessUsage(pid: daemon.pid) else { throw ScaleFailure("keyrotd exited") }
        report.row(
            "resident memory at the end (VmRSS; VmHWM)",
            "\(ProcessUsage.mebibytes(end.residentBytes)); \(ProcessUsage.mebibytes(end.peakResidentBytes))",
            "-"
        )
        report.note(String(format: "SIGTERM to exit status %d", daemon.stop()))
        report.note("WATCHDOG=1 pings over the whole run: \(daemon.watchdogPings)")
        report.note("load at end: \(ScaleBenchmark.loadAverage())")
        report.print(
            header: "steady: \(workspaces) workspaces, \(due) due over \(windowSeconds) s, "
                + "lag p50 \(Self.milliseconds(lag.p50)) p99 \(Self.milliseconds(lag.p99)), "
                + String(
                    format: "cpu per rotation %.2f ms, emergency cpu %.2f ms",
                    scheduledCPU * 1000,
                    emergencyCPU * 1000
                )
        )
        guard lags.seen == due else {
            throw ScaleFailure("only \(lags.seen) of the \(due) due workspaces were seen rotated")
        }
    }

    /// Runs `body`; the CPU time process `pid` spent meanwhile, how long it took, and what `body` returned.
    static func daemonCPU<Result>(
        of pid: Int32,
        _ body: () async throws -> Result
    ) async throws -> (cpuSeconds: Double, elapsed: Duration, result: Result) {
        let clock = ContinuousClock()
        guard let before = ProcessUsage(pid: pid) else { throw ScaleFailure("keyrotd exited") }
        let start = clock.now
        let result = try await body()
        guard let after = ProcessUsage(pid: pid) else { throw ScaleFailure("keyrotd exited") }
        return (after.cpuSeconds - before.cpuSeconds, clock.now - start, result)
    }

    /// How many of `count` share each of `seconds`: `100`, or `33–34` when they do not divide evenly.
    static func share(_ count: Int, _ seconds: Int) -> String {
        count % seconds == 0 ? "\(count / seconds)" : "\(count / seconds)–\(count / seconds + 1)"
    }

    /// The median of `durations`, zero if there are none.
    static func median(_ durations: [Duration]) -> Duration {
        durations.isEmpty ? .zero : durations.sorted()[durations.count / 2]
    }

    /// `12 ms`, rounded to the nearest millisecond.
    static func milliseconds(_ duration: Duration) -> String {
        String(format: "%.0f ms", duration.inSeconds * 1000)
    }
}
