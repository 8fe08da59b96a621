import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A child process started with posix_spawn(3) and reaped with waitpid(2), for programs that close every file
/// descriptor they inherit (systemd-socket-activate does): Foundation's `Process` watches a descriptor it gives
/// the child to learn when it ends, and stalls when the child closes it early.
///
/// - Important: Only this child is ever signalled, by its pid; `deinit` kills it if a test forgot to.
public final class SpawnedProcess: @unchecked Sendable {
    public let pid: pid_t
    public let logFile: String
    private var status: Int32?

    /// Starts `executable` with `arguments`, standard output and error going to `logFile`.
    public init(_ executable: String, _ arguments: [String], logFile: String) throws {
        self.logFile = logFile
        let log = open(logFile, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard log >= 0 else { throw RawSocketError.failed("open \(logFile)", errno) }
        defer { close(log) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, log, 1)
        posix_spawn_file_actions_adddup2(&actions, log, 2)
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { for argument in argv { free(argument) } }
        var child: pid_t = 0
        let result = posix_spawn(&child, executable, &actions, nil, argv, environ)
        guard result == 0 else { throw RawSocketError.failed("posix_spawn \(executable)", result) }
        pid = child
    }

    /// Everything the process printed so far.
    public var log: String { (try? String(contentsOfFile: logFile, encoding: .utf8)) ?? "" }

    /// Sends `signal` to the process, unless it has been reaped already.
    public func send(_ signal: Int32) {
        if status == nil { kill(pid, signal) }
    }

    /// Waits up to `timeout` seconds for the process to exit; returns its exit status (128 + N after signal N),
    /// or nil if it still runs.
    public func waitForExit(timeout: Double) async throws -> Int32? {
        let deadline = Date().addingTimeInterval(timeout)
        while status == nil {
            var raw: Int32 = 0
            if waitpid(pid, &raw, WNOHANG) == pid {
                status = raw & 0x7f == 0 ? (raw >> 8) & 0xff : 128 + (raw & 0x7f)
                break
            }
            if Date() > deadline { return nil }
            try await Task.sleep(for: .milliseconds(10))
        }
        return status
    }

    /// Waits for the process to exit, blocking the calling thread (never call it on Swift's cooperative pool);
    /// returns its exit status (128 + N after signal N).
    public func waitForExit() -> Int32 {
        if let status { return status }
        var raw: Int32 = 0
        while waitpid(pid, &raw, 0) == -1, errno == EINTR {}
        let status = raw & 0x7f == 0 ? (raw >> 8) & 0xff : 128 + (raw & 0x7f)
        self.status = status
        return status
    }

    deinit {
        if status == nil {
            kill(pid, SIGKILL)
            var raw: Int32 = 0
            waitpid(pid, &raw, 0)
        }
    }
}
