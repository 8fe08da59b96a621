import Foundation
import KeyrotTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// keyrotd `--dev` with Intercom workspaces pointed at an ``IntercomStandIn``: keyrotd starts the provider agent
/// itself, as it does for a newcomer, and the agent reads its token from `<state-dir>/credentials/`.
final class ProviderDaemon {
    let directory: TemporaryDirectory
    let standIn: IntercomStandIn
    /// The access token the stand-in accepts (recorded for the leak sweep: it must not leak either).
    let token = "intercom-token-" + UUID().uuidString
    private(set) var process: DaemonProcess
    var socket: String { directory.path("state/control.sock") }
    var state: String { directory.path("state") }

    /// - Parameter configuration: the TOML, given the stand-in's `api_base`.
    init(
        tls: Bool = false,
        configuration: (_ apiBase: String, _ directory: TemporaryDirectory) -> String
    )
        async throws
    {
        directory = try TemporaryDirectory()
        LeakSweep.record(secret: Array(token.utf8), in: directory)
        var certificate: (String, String)?
        if tls {
            let made = try await ProcessResult.runOffPool(
                Repository.path("Tests/Harness/make-test-ca"),
                [directory.path("ca")]
            )
            guard made.status == 0 else { throw StandInError.notStarted("make-test-ca: \(made.standardError)") }
            certificate = (directory.path("ca/server.pem"), directory.path("ca/server.key"))
        }
        standIn = try await IntercomStandIn(in: directory, token: token, tls: certificate)
        try configuration(standIn.apiBase, directory).write(
            toFile: directory.path("keyrotd.toml"),
            atomically: true,
            encoding: .utf8
        )
        for folder in ["state", "state/credentials"] {
            try FileManager.default.createDirectory(
                atPath: directory.path(folder),
                withIntermediateDirectories: true,
                attributes: [.posixPermissions: 0o700]
            )
        }
        try PrivateFile.write(Data((token + "\n").utf8), to: directory.path("state/credentials/intercom-acme"))
        process = try Self.start(in: directory, log: "log")
        try await waitUntilServing()
    }

    private static func start(in directory: TemporaryDirectory, log: String) throws -> DaemonProcess {
        try DaemonProcess(
            arguments: [
                "--dev", "--state-dir", directory.path("state"), "--config", directory.path("keyrotd.toml"),
            ],
            logFile: directory.path(log)
        )
    }

    private func waitUntilServing() async throws {
        let socket = socket
        let up = try await DaemonProcess.eventually(timeout: 30) { (try? RawSocket(path: socket)) != nil }
        guard up else { throw StandInError.notStarted("keyrotd did not start: \(process.log)") }
    }

    /// Starts keyrotd again (after a kill), logging to a file of its own.
    func restart(log: String) async throws {
        process = try Self.start(in: directory, log: log)
        try await waitUntilServing()
    }

    func ctl(_ arguments: [String], input: String = "") async throws -> ProcessResult {
        try await ProcessResult.runOffPool(
            DaemonProcess.builtControlBinary,
            ["--socket", socket] + arguments,
            input: input
        )
    }

    /// A key as `keyrotctl --json keys` shows it.
    struct Key: Decodable, Equatable {
        var key_id: String
        var state: String
        var verifies: Bool
        var leaked: Bool
        var provider_id: String?
    }

    /// One varlink call over a connection of its own (no keyrotctl process: the checks run hundreds of times); the
    /// reply's parameters, or nil for an error reply or while keyrotd cannot answer (it is being restarted).
    func call<Parameters: Decodable>(
        _ method: String,
        _ parameters: String,
        returning: Parameters.Type
    )
        async throws -> Parameters?
    {
        let message = parameters
        let socket = socket
        let reply = try await onOwnThread { () -> String? in
            guard let connection = try? RawSocket(path: socket) else { return nil }
            return try? connection.exchangeBlocking(#"{"method": "io.keyrotd.\#(method)", "parameters": \#(message)}"#)
        }
        guard let reply else { return nil }
        return try JSONDecoder().decode(VarlinkReply<Parameters>.self, from: Data(reply.utf8)).parameters
    }

    /// The workspace's keys, newest first; empty while keyrotd cannot answer.
    func keys(_ workspace: String = "acme") async throws -> [Key] {
        struct Keys: Decodable { var keys: [Key] }
        return try await call("ListKeys", #"{"workspace": "\#(workspace)"}"#, returning: Keys.self)?.keys ?? []
    }

    /// The audit log's events for the workspace, oldest first.
    func events(_ workspace: String = "acme") async throws -> [String] {
        struct Entries: Decodable {
            struct Entry: Decodable { var event: String }
            var entries: [Entry]
        }
        let parameters = #"{"workspace": "\#(workspace)", "limit": 10000}"#
        return try await call("History", parameters, returning: Entries.self)?.entries.map(\.event) ?? []
    }

    /// A token for `userID` signed by keyrotd now, with the key that signed it; nil if it cannot sign.
    func sign(_ userID: String = "user-1", workspace: String = "acme") async throws -> (token: String, keyID: String)? {
        struct Signed: Decodable {
            var token: String
            var key_id: String
        }
        let parameters = #"{"workspace": "\#(workspace)", "user_id": "\#(userID)"}"#
        let signed = try await call("Sign", parameters, returning: Signed.self)
        return signed.map { ($0.token, $0.key_id) }
    }

    /// The status line keyrotd would send systemd.
    func statusLine() async throws -> String {
        try await ctl(["status"]).standardOutput
    }

    /// Every log keyrotd (and its agent) wrote.
    var logs: String {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        return names.filter { $0.hasPrefix("log") }.sorted().map {
            (try? String(contentsOfFile: directory.path($0), encoding: .utf8)) ?? ""
        }.joined()
    }

    /// Stops keyrotd (SIGTERM, by its pid) and removes the directory (into the leak capture, when one runs).
    ///
    /// - Parameter verifierFiles: files of the verifier's own (a hook's store), which hold its secrets by design:
    ///   deleted first, so that the leak sweep looks only at what keyrotd and its agent left.
    func stop(deleting verifierFiles: [String] = []) async throws {
        process.send(SIGTERM)
        _ = try await process.waitForExit(timeout: 20)
        standIn.process.send(SIGTERM)
        _ = try await standIn.process.waitForExit(timeout: 5)
        for file in verifierFiles { try? FileManager.default.removeItem(atPath: directory.path(file)) }
        directory.remove()
    }
}

/// What a `Rotate` call answers, as far as the provider tests read it: the key an emergency revoked, as its audit row
/// names it (the one active when the call came, not necessarily the one that signed a token just before).
struct RotateReply: Decodable {
    struct Entry: Decodable { var previous_key_id: String? }
    var entries: [Entry]

    var revokedKeyID: String? { entries.first?.previous_key_id }
}

/// A varlink reply's parameters (nil in an error reply, whose parameters are the error's).
struct VarlinkReply<Parameters: Decodable>: Decodable {
    var parameters: Parameters?

    private enum Key: String, CodingKey { case error, parameters }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: Key.self)
        parameters =
            try container.decodeIfPresent(String.self, forKey: .error) == nil
            ? try container.decode(Parameters.self, forKey: .parameters) : nil
    }
}
