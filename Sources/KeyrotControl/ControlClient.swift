import Foundation
import KeyrotCore
import NIOCore
import NIOPosix

/// A varlink client for keyrotd's control socket: one connection, calls answered in order.
///
/// ```swift
/// let token = try await ControlClient.withConnection(to: path) { connection in
///     try await connection.call("io.keyrotd.Sign", KeyrotAPI.SignParameters(...), returning: KeyrotAPI.SignResult.self)
/// }
/// ```
public struct ControlClient: ~Copyable {
    private var inbound: NIOAsyncChannelInboundStream<ByteBuffer>.AsyncIterator
    private let outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>

    private struct Request<Parameters: Encodable>: Encodable {
        var method: String
        var parameters: Parameters
    }

    private struct ErrorHead: Decodable {
        var error: String?
        var parameters: [String: JSONValue]?
    }

    /// A reply read in one pass: an error (its name and parameters) or the expected parameters.
    private enum Outcome<Parameters: Decodable>: Decodable {
        case success(Parameters)
        case failure(VarlinkError)

        private enum Key: String, CodingKey { case error, parameters }

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: Key.self)
            if let name = try container.decodeIfPresent(String.self, forKey: .error) {
                let parameters = try container.decodeIfPresent([String: JSONValue].self, forKey: .parameters)
                self = .failure(VarlinkError(name, parameters ?? [:]))
            } else {
                self = .success(try container.decode(Parameters.self, forKey: .parameters))
            }
        }
    }

    /// Connects to the socket at `path` on `group`, checks that `trust` allows the process listening there, runs
    /// `body` with the connection, and closes it. Nothing is sent to a server `trust` does not allow.
    ///
    /// - Throws: ``ControlClientError/unreachable(path:reason:)`` or ``ControlClientError/permissionDenied(path:)``
    ///   if no connection can be made, ``ControlClientError/untrustedServer(path:uid:name:)`` if it is not to be
    ///   used; whatever `body` throws.
    public static func withConnection<Result: Sendable>(
        to path: String,
        on group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        trusting trust: ServerTrust = .invokingUser,
        _ body: (inout ControlClient) async throws -> Result
    ) async throws -> Result {
        let channel: NIOAsyncChannel<ByteBuffer, ByteBuffer>
        do {
            channel = try await ClientBootstrap(group: group)
                .connect(unixDomainSocketPath: path) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(
                            ByteToMessageHandler(VarlinkFrameDecoder(maximumMessageSize: 16 * 1024 * 1024))
                        )
                        return try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                    }
                }
        } catch let error as IOError where error.errnoCode == EACCES || error.errnoCode == EPERM {
            throw ControlClientError.permissionDenied(path: path)
        } catch let error as IOError {
            throw ControlClientError.unreachable(path: path, reason: String(cString: strerror(error.errnoCode)))
        } catch {
            throw ControlClientError.unreachable(path: path, reason: "\(error)")
        }
        return try await channel.executeThenClose { inbound, outbound in
            let server: PeerCredentials
            do { server = try await PeerCredentials.of(channel.channel).get() } catch {
                throw ControlClientError.unreachable(path: path, reason: "cannot tell who serves the socket: \(error)")
            }
            guard trust.trusts(serverUID: server.uid) else {
                throw ControlClientError.untrustedServer(
                    path: path,
                    uid: server.uid,
                    name: UserDatabase.userName(of: server.uid)
                )
            }
            var client = ControlClient(inbound: inbound.makeAsyncIterator(), outbound: outbound)
            return try await body(&client)
        }
    }

    /// Calls `method` with `parameters` and decodes the reply's parameters as `Result`.
    ///
    /// - Throws: ``VarlinkError`` for an error reply; ``ControlClientError`` if the connection breaks or the reply
    ///   cannot be read.
    public mutating func call<Result: Decodable>(
        _ method: String,
        _ parameters: some Encodable,
        returning: Result.Type
    ) async throws -> Result {
        try await callKeepingMessage(method, parameters, returning: Result.self).result
    }

    /// Calls `method` like ``call(_:_:returning:)`` and also returns the reply message as received (JSON, without
    /// its NUL), for `--json` output; the reply is read once.
    public mutating func callKeepingMessage<Result: Decodable>(
        _ method: String,
        _ parameters: some Encodable,
        returning: Result.Type
    ) async throws -> (result: Result, message: Data) {
        let message = try await exchange(method, parameters)
        let outcome: Outcome<Result>
        do { outcome = try JSONDecoder().decode(Outcome<Result>.self, from: message) } catch {
            throw ControlClientError.unreadableReply
        }
        switch outcome {
        case .success(let result): return (result, message)
        case .failure(let error): throw error
        }
    }

    /// Calls `method` and returns the raw reply message (JSON, without its NUL), for `--json` output.
    public mutating func send(_ method: String, _ parameters: some Encodable) async throws -> Data {
        let message = try await exchange(method, parameters)
        if let head = try? JSONDecoder().decode(ErrorHead.self, from: message), let name = head.error {
            throw VarlinkError(name, head.parameters ?? [:])
        }
        return message
    }

    /// Sends one call and waits for its reply message.
    private mutating func exchange(_ method: String, _ parameters: some Encodable) async throws -> Data {
        var request = ByteBuffer(bytes: try JSONEncoder().encode(Request(method: method, parameters: parameters)))
        request.writeInteger(UInt8(0))
        try await outbound.write(request)
        guard let reply = try await inbound.next() else { throw ControlClientError.closedByDaemon }
        return Data(reply.readableBytesView)
    }
}

/// Why a call to the daemon could not be made or read.
public enum ControlClientError: Error, Equatable, CustomStringConvertible {
    case unreachable(path: String, reason: String)
    case permissionDenied(path: String)
    case untrustedServer(path: String, uid: UInt32, name: String?)
    case closedByDaemon
    case unreadableReply

    public var description: String {
        switch self {
        case .unreachable(let path, let reason): "cannot reach keyrotd at \(path): \(reason)"
        case .permissionDenied(let path): "no permission to connect to \(path)"
        case .untrustedServer(let path, let uid, let name):
            "the socket \(path) is served by uid \(uid)\(name.map { " (\($0))" } ?? ""), not by root, keyrotd's user "
                + "or you: nothing was sent to it"
        case .closedByDaemon: "keyrotd closed the connection without replying"
        case .unreadableReply: "keyrotd's reply could not be read"
        }
    }
}
