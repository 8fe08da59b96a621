import Foundation
import NIOConcurrencyHelpers

#if canImport(Glibc)
import Glibc
#endif

/// A `keyrotd` binary started as its own process, for end-to-end tests: signals, exit codes and files
/// are the real ones.
///
/// - Important: Only this process is ever signalled, by its pid; `deinit` kills it if a test forgot to.
public final class DaemonProcess: @unchecked Sendable {
    private let process = Process()
    private let ended = NIOLockedValueBox<ContinuousClock.Instant?>(nil)
    /// Everything the daemon wrote to standard error.
    public let logFile: String

    /// The `keyrotd` built beside the running test bundle.
    public static var builtBinary: String {
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
            .appending(path: "keyrotd").path(percentEncoded: false)
    }

    /// The `keyrotctl` built beside the running test bundle.
    public static var builtControlBinary: String {
        URL(fileURLWithPath: builtBinary).deletingLastPathComponent().appending(path: "keyrotctl")
            .path(percentEncoded: false)
    }

    /// Starts `executable` (by default the built `keyrotd`) with `arguments`; its output goes to `logFile`.
    public init(
        executable: String = DaemonProcess.builtBinary,
        arguments: [String],
        environment: [String: String]? = nil,
        logFile: String
    ) throws {
        self.logFile = logFile
        try Data().write(to: URL(fileURLWithPath: logFile))
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if let environment { process.environment = environment }
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: logFile))
        process.standardError = process.standardOutput
        let ended = ended
        process.terminationHandler = { _ in ended.withLockedValue { $0 = .now } }
        try process.run()
    }

    public var pid: Int32 { process.processIdentifier }
    public var isRunning: Bool { process.isRunning }

    /// The log so far.
    public var log: String { (try? String(contentsOfFile: logFile, encoding: .utf8)) ?? "" }

    /// Sends `signal` to the daemon.
    public func send(_ signal: Int32) {
        if process.isRunning { kill(process.processIdentifier, signal) }
    }

    /// Waits up to `timeout` seconds for the daemon to exit; returns its exit status, or nil if it still runs.
    public func waitForExit(timeout: Double) async throws -> Int32? {
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning {
            if Date() > deadline { return nil }
            try await Task.sleep(for: .milliseconds(10))
        }
        process.waitUntilExit()  // returns at once now; see `deinit`
        return process.terminationStatus
    }

    /// When the daemon was seen to end, by Foundation's own watch for it rather than by a test task, which may wait
    /// for its turn on the pool's threads; nil while it runs (or for up to 5 s after it ended, if the watch is late).
    public func endedAt() async throws -> ContinuousClock.Instant? {
        let deadline = ContinuousClock.now + .seconds(5)
        while ContinuousClock.now < deadline {
            if let instant = ended.withLockedValue({ $0 }) { return instant }
            if process.isRunning { return nil }
            try await Task.sleep(for: .milliseconds(10))
        }
        return nil
    }

    /// Polls `condition` every 50 ms until it holds or `timeout` seconds pass; returns whether it held.
    public static func eventually(timeout: Double, _ condition: () async throws -> Bool) async throws -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if try await condition() { return true }
            try await Task.sleep(for: .milliseconds(50))
        }
        return try await condition()
    }

    deinit {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        // Always, even for a process that has ended: only `waitUntilExit` lets go of the run-loop source through
        // which Foundation's `Process` holds on to itself on Linux; without it every `Process` leaks (the cycle
        // swift-corelibs-foundation#2631 breaks only there; LeakSanitizer reports it).
        process.waitUntilExit()
    }
}
