import ArgumentParser
import Foundation
import KeyrotControl
import NIOPosix

/// The options every command takes: where the daemon is, and whether to print JSON.
struct GlobalOptions: ParsableArguments {
    @Option(
        help:
            "Control socket (default: $KEYROTD_SOCKET, else /run/keyrotd/control.sock, else ./keyrotd-dev/control.sock)."
    )
    var socket: String?

    @Flag(help: "Print the daemon's reply as JSON, for scripts.")
    var json = false

    /// The socket to use: the flag, `$KEYROTD_SOCKET`, the system socket, or a local `--dev` daemon's.
    var socketPath: String {
        if let socket { return socket }
        if let fromEnvironment = ProcessInfo.processInfo.environment["KEYROTD_SOCKET"] { return fromEnvironment }
        let system = "/run/keyrotd/control.sock"
        let development = "keyrotd-dev/control.sock"
        if !FileManager.default.fileExists(atPath: system), FileManager.default.fileExists(atPath: development) {
            return development
        }
        return system
    }

    /// Calls `method`; prints the raw reply with `--json`, else returns the decoded result for the command to show.
    ///
    /// Errors are printed to standard error with what to do next, and end the command with its exit code.
    func call<Result: Decodable & Sendable>(
        _ method: String,
        _ parameters: some Encodable & Sendable,
        returning: Result.Type
    ) async throws -> Result {
        let path = socketPath
        // The connection gets an event loop thread of its own, stopped before anything is printed: keyrotctl exits
        // right after, and a process that exits while a thread is still tearing its channel down dies
        // mid-deallocation (LeakSanitizer caught that, as a leak, in one run in forty on a loaded machine).
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let reply: Swift.Result<(result: Result, message: Data), any Error>
        do {
            reply = .success(
                try await ControlClient.withConnection(to: path, on: group) { client in
                    try await client.callKeepingMessage("io.keyrotd.\(method)", parameters, returning: Result.self)
                }
            )
        } catch {
            reply = .failure(error)
        }
        try await group.shutdownGracefully()
        do {
            let (result, message) = try reply.get()
            if json { print(try Self.pretty(message)) }
            return result
        } catch let error as VarlinkError {
            if json { print(try Self.pretty(Self.errorJSON(error))) }
            throw fail(Self.explain(error), code: Self.exitCode(for: error.name))
        } catch let error as ControlClientError {
            switch error {
            case .permissionDenied:
                throw fail("\(error); ask an administrator to add you to keyrotd's group", code: 77)
            case .unreachable:
                throw fail(
                    "\(error); is keyrotd running? (systemctl status keyrotd, or keyrotd --dev) "
                        + "Choose another socket with --socket or $KEYROTD_SOCKET.",
                    code: 69
                )
            default:
                throw fail("\(error)", code: 69)
            }
        }
    }

    static func pretty(_ message: Data) throws -> String {
        let object = try JSONSerialization.jsonObject(with: message)
        let data = try JSONSerialization.data(
            withJSONObject: object,
            options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        )
        return String(decoding: data, as: UTF8.self)
    }

    static func errorJSON(_ error: VarlinkError) throws -> Data {
        struct Failure: Encodable {
            var error: String
            var parameters: [String: JSONValue]
        }
        return try JSONEncoder().encode(Failure(error: error.name, parameters: error.parameters))
    }

    /// sysexits(3) for an error reply: 77 (EX_NOPERM) for permission denied, 74 (EX_IOERR) when keyrotd could not
    /// store the change (a full disk, a broken state directory), 1 for every other refusal.
    static func exitCode(for errorName: String) -> Int32 {
        switch errorName {
        case "io.keyrotd.PermissionDenied": 77
        case "io.keyrotd.StorageFailure": 74
        default: 1
        }
    }

    /// An error reply in words, with what to do next.
    static func explain(_ error: VarlinkError) -> String {
        let value = { (key: String) in error.parameters[key].map { "\($0.text)" } ?? "?" }
        switch error.name {
        case "io.keyrotd.WorkspaceNotFound":
            return "no workspace \"\(value("workspace"))\"; list them with: keyrotctl workspace list"
        case "io.keyrotd.WorkspaceExists":
            return "workspace \"\(value("workspace"))\" exists already; change it with: keyrotctl workspace set"
        case "io.keyrotd.KeyNotFound":
            return
                "workspace \"\(value("workspace"))\" has no key \"\(value("key_id"))\"; list them with: keyrotctl keys \(value("workspace"))"
        case "io.keyrotd.KeyNotRevocable":
            return "key \"\(value("key_id"))\" is \(value("state")) already: it verifies nothing"
        case "io.keyrotd.PermissionDenied":
            return
                "permission denied for \(value("method")) (uid \(value("uid"))): ask an administrator, or run as a member of keyrotd's admin group"
        case "io.keyrotd.NoSigningKey":
            return
                "workspace \"\(value("workspace"))\" has no active key; rotate it with: keyrotctl rotate \(value("workspace"))"
        case "io.keyrotd.InvalidRequest", "io.keyrotd.InvalidArgument", "io.keyrotd.InternalError":
            return value("reason")
        case "io.keyrotd.ConnectionRefused":
            return "keyrotd refused the connection: \(value("reason")); try again later"
        case "io.keyrotd.ShuttingDown":
            return "keyrotd is stopping; the call was not carried out"
        case "io.keyrotd.ConfigurationRejected":
            return "the configuration was rejected and the one in force stays: \(value("reason"))"
        case "io.keyrotd.StorageFailure":
            return "keyrotd could not store the change: \(value("reason")); nothing was changed"
        case "org.varlink.service.InvalidParameter":
            return "keyrotd rejected the parameter \"\(value("parameter"))\""
        default:
            return "\(error)"
        }
    }
}

/// Prints `message` to standard error as `keyrotctl: message` and returns `code` for the command to throw: the
/// command unwinds (a secret read from standard input is wiped by its `defer`) before ArgumentParser exits with it.
func fail(_ message: String, code: Int32) -> ExitCode {
    FileHandle.standardError.write(Data("keyrotctl: \(message)\n".utf8))
    return ExitCode(code)
}

/// Prints rows as a table with aligned columns, the header first.
func printTable(_ header: [String], _ rows: [[String]]) {
    let all = [header] + rows
    let widths = header.indices.map { column in all.map { $0[column].count }.max() ?? 0 }
    for row in all {
        let cells = row.enumerated().map { column, cell in
            column == row.count - 1 ? cell : cell.padding(toLength: widths[column], withPad: " ", startingAt: 0)
        }
        print(cells.joined(separator: "  "))
    }
}
