import Foundation
import Logging
import NIOConcurrencyHelpers

/// A provider driven by an executable (`provider = "hook:/path"`): run with one argument, `create`, `delete` or
/// `list`, a JSON request on stdin and a JSON answer on stdout. Exit 0 is done, 75 (EX_TEMPFAIL) "try again later",
/// anything else a failure; it is killed after 30 s. Its stderr goes to the agent's log (the journal).
///
/// Secret material travels only on stdin and stdout, never in argv or the environment.
///
/// - Important: A hook must not leave a process behind that holds its stdout or stderr open: its call then fails.
///
/// - `list`: `{"workspace": W}` → `{"secrets": [{"id": ..., "name": ..., "created_at": ...}]}`
/// - `create`: `{"workspace": W, "name": N}` → `{"id": ..., "secret": ...}`
/// - `delete`: `{"workspace": W, "id": I}` → `{"deleted": true}` (false: it had no such secret)
public struct HookProvider: SecretProvider {
    /// How long a hook may run before it is killed.
    public static let timeout: Duration = .seconds(30)

    let executable: String
    let workspace: String
    let logger: Logger
    let timeout: Duration

    public init(executable: String, workspace: String, logger: Logger, timeout: Duration = HookProvider.timeout) {
        self.executable = executable
        self.workspace = workspace
        self.logger = logger
        self.timeout = timeout
    }

    /// `list`'s answer.
    struct ListAnswer: Decodable {
        struct Secret: Decodable {
            var id: String
            var name: String?
            var created_at: Int64?
        }
        var secrets: [Secret]
    }

    /// `create`'s answer: the new secret, once.
    struct CreateAnswer: Decodable {
        var id: String
        var secret: String
    }

    /// `delete`'s answer; `deleted` false: there was no such secret.
    struct DeleteAnswer: Decodable {
        var deleted: Bool?
    }

    public func list() async throws(ProviderCallError) -> [ListedSecret] {
        let answer: ListAnswer = try await run("list", ["workspace": workspace])
        return answer.secrets.map { ListedSecret(id: $0.id, name: $0.name ?? "", createdAt: $0.created_at) }
    }

    public func create(name: String) async throws(ProviderCallError) -> CreatedSecret {
        let answer: CreateAnswer = try await run("create", ["workspace": workspace, "name": name])
        guard !answer.id.isEmpty, !answer.secret.isEmpty else {
            throw .rejected(status: 0, message: "hook create answered an empty id or secret")
        }
        return CreatedSecret(id: answer.id, secret: answer.secret)
    }

    public func delete(id: String) async throws(ProviderCallError) -> Bool {
        let answer: DeleteAnswer = try await run("delete", ["workspace": workspace, "id": id])
        return answer.deleted ?? true
    }

    /// Runs the hook on a thread of its own, off Swift's cooperative pool, and decodes its answer. (Not on Dispatch's
    /// global queue, whose few threads other blocking work shares: in a busy process, the test suite, a hook waited
    /// there up to 17 s before it started.)
    private func run<Answer: Decodable>(
        _ command: String,
        _ request: [String: String]
    ) async throws(ProviderCallError)
        -> Answer
    {
        let input = (try? JSONEncoder().encode(request)) ?? Data()
        let result: Result<Data, ProviderCallError> = await withCheckedContinuation { continuation in
            Thread {
                continuation.resume(
                    returning: Self.execute(executable, command, input: input, timeout: timeout, logger: logger)
                )
            }.start()
        }
        let output = try result.get()
        guard let answer = try? JSONDecoder().decode(Answer.self, from: output) else {
            throw .rejected(status: 0, message: "hook \(command) answered something that is not its JSON answer")
        }
        return answer
    }

    /// Blocking: spawns the hook, feeds stdin, collects stdout (at most 1 MiB) and stderr, and waits at most
    /// `timeout`.
    static func execute(
        _ executable: String,
        _ command: String,
        input: Data,
        timeout: Duration,
        logger: Logger
    ) -> Result<
        Data, ProviderCallError
    > {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = [command]
        process.environment = ["PATH": "/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8"]
        let stdin = Pipe()
        let stdout = Pipe()
        let stderr = Pipe()
        process.standardInput = stdin
        process.standardOutput = stdout
        process.standardError = stderr
        let finished = DispatchSemaphore(value: 0)
        process.terminationHandler = { _ in finished.signal() }
        do { try process.run() } catch {
            return .failure(.rejected(status: 0, message: "hook \(executable) could not be started: \(error)"))
        }
        // Every way out below comes after the hook has ended, so this returns at once; only it lets go of what
        // Foundation keeps for the child (its run-loop source, the process, its pipes), which each call would
        // otherwise leak for the agent's whole life.
        defer { process.waitUntilExit() }
        let output = LockedData()
        let errors = LockedData()
        let readers = DispatchGroup()
        for (pipe, sink) in [(stdout, output), (stderr, errors)] {
            readers.enter()
            Thread {
                while true {
                    let chunk = pipe.fileHandleForReading.availableData
                    if chunk.isEmpty { break }
                    sink.append(chunk, limit: 1 << 20)
                }
                readers.leave()
            }.start()
        }
        try? stdin.fileHandleForWriting.write(contentsOf: input)
        try? stdin.fileHandleForWriting.close()
        // What the hook said on stderr goes to the journal however it ended (a hook killed for hanging most of all),
        // its first lines only: a hook cannot flood the journal.
        defer {
            for line in String(decoding: errors.data, as: UTF8.self).split(whereSeparator: \.isNewline).prefix(20) {
                logger.warning("hook: \(line.prefix(500))", metadata: ["keyrot.hook": "\(executable)"])
            }
        }
        let seconds = Double(timeout.components.seconds)
        if finished.wait(timeout: .now() + seconds) == .timedOut {
            kill(process.processIdentifier, SIGKILL)
            finished.wait()
            _ = readers.wait(timeout: .now() + 5)
            return .failure(
                .transient("hook \(command) was killed after \(Int(seconds))s", status: nil, retryAfterSeconds: nil)
            )
        }
        // A child the hook left behind may hold its output open: its answer is what came before the hook exited.
        guard readers.wait(timeout: .now() + 5) == .success else {
            return .failure(
                .rejected(status: 0, message: "hook \(command) exited but something it started holds its output open")
            )
        }
        switch process.terminationStatus {
        case 0: return .success(output.data)
        case 75:
            return .failure(
                .transient("hook \(command) asked to try again later (exit 75)", status: nil, retryAfterSeconds: nil)
            )
        case let status: return .failure(.rejected(status: 0, message: "hook \(command) failed (exit \(status))"))
        }
    }
}

/// Bytes gathered by one reader thread and read once it is done.
private final class LockedData: Sendable {
    private let bytes = NIOLockedValueBox(Data())

    var data: Data { bytes.withLockedValue { $0 } }

    func append(_ chunk: Data, limit: Int) {
        bytes.withLockedValue { if $0.count < limit { $0.append(chunk.prefix(limit - $0.count)) } }
    }
}
