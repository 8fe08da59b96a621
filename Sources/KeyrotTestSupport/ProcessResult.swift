import Foundation

/// The outcome of running a program to completion: its exit status and everything it printed.
public struct ProcessResult: Sendable {
    public var status: Int32
    public var standardOutput: String
    public var standardError: String

    /// Runs `executable` (a path, or a name looked up on `PATH`) with `arguments`, feeding it `input`.
    ///
    /// Output goes to temporary files rather than pipes, so a chatty program can never block on a full pipe.
    public static func run(
        _ executable: String,
        _ arguments: [String],
        input: String = "",
        environment: [String: String]? = nil
    ) throws -> ProcessResult {
        let scratch = try TemporaryDirectory()
        defer { scratch.remove() }
        try Data(input.utf8).write(to: scratch.url.appending(path: "in"))
        try Data().write(to: scratch.url.appending(path: "out"))
        try Data().write(to: scratch.url.appending(path: "err"))
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable.contains("/") ? executable : "/usr/bin/env")
        process.arguments = executable.contains("/") ? arguments : [executable] + arguments
        if let environment { process.environment = environment }
        process.standardInput = try FileHandle(forReadingFrom: scratch.url.appending(path: "in"))
        process.standardOutput = try FileHandle(forWritingTo: scratch.url.appending(path: "out"))
        process.standardError = try FileHandle(forWritingTo: scratch.url.appending(path: "err"))
        try process.run()
        process.waitUntilExit()
        return ProcessResult(
            status: process.terminationStatus,
            standardOutput: try String(contentsOfFile: scratch.path("out"), encoding: .utf8),
            standardError: try String(contentsOfFile: scratch.path("err"), encoding: .utf8)
        )
    }
}

extension ProcessResult {
    /// ``run(_:_:input:environment:)`` on a thread of its own, for async tests: waiting for a child on one of the
    /// cooperative pool's threads (two, on two cores) stalls every other test's tasks meanwhile.
    public static func runOffPool(
        _ executable: String,
        _ arguments: [String],
        input: String = "",
        environment: [String: String]? = nil
    ) async throws -> ProcessResult {
        try await onOwnThread { try run(executable, arguments, input: input, environment: environment) }
    }
}

/// The plain `sqlite3` shell, as an auditor would use it.
public enum SQLiteShell {
    /// Runs `sql` against the database at `path`; returns the result whatever the exit status.
    ///
    /// The shell waits up to 5 s for a lock, as README tells an auditor to: keyrotd truncates its write-ahead log
    /// after destroying key material, and a read that starts at that instant is otherwise refused at once
    /// ("database is locked").
    public static func run(_ sql: String, database path: String) throws -> ProcessResult {
        try ProcessResult.run("sqlite3", ["-cmd", ".timeout 5000", path], input: sql)
    }

    /// Runs `sql` through `popen(3)` and returns the first line of output: for use on a thread without a run
    /// loop (a ``NotifyListener`` callback), where Foundation's `Process` cannot wait.
    public static func queryOnAnyThread(_ sql: String, database path: String) -> String? {
        let quote = { (text: String) in "'" + text.replacingOccurrences(of: "'", with: "'\\''") + "'" }
        guard let pipe = popen("sqlite3 -cmd '.timeout 5000' \(quote(path)) \(quote(sql)) 2>/dev/null", "r") else {
            return nil
        }
        defer { pclose(pipe) }
        var line = [CChar](repeating: 0, count: 256)
        guard fgets(&line, Int32(line.count), pipe) != nil else { return nil }
        let bytes = line.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }
        return String(decoding: bytes, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// ``query(_:database:)`` on a thread of its own, for async tests (see ``ProcessResult/runOffPool``).
    public static func queryOffPool(_ sql: String, database path: String) async throws -> String {
        try await onOwnThread { try query(sql, database: path) }
    }

    /// Runs `sql` and returns its trimmed output, failing if the shell reports an error.
    public static func query(_ sql: String, database path: String) throws -> String {
        let result = try run(sql, database: path)
        guard result.status == 0, result.standardError.isEmpty else {
            throw ShellError(message: result.standardError)
        }
        return result.standardOutput.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// What the shell printed on standard error.
    public struct ShellError: Error, CustomStringConvertible {
        public var message: String
        public var description: String { message }

        public init(message: String) {
            self.message = message
        }
    }
}
