import Foundation
import KeyrotControl
import KeyrotTestSupport
import Logging
import NIOConcurrencyHelpers
import NIOPosix

/// A service for the server tests: `Sign` answers with the user id as the token (at once, on the event loop, for a
/// user id starting with `fast`; on the thread pool for any other, after 30 ms for one starting with `slow`),
/// `Status` (on the thread pool) records the peer.
final class EchoService: VarlinkService {
    let interface = VarlinkInterfaceFile.keyrotd
    let lastPeer = NIOLockedValueBox<PeerCredentials?>(nil)
    /// The user ids of the `Sign` calls answered, in the order they were carried out, and where.
    let carriedOut = NIOLockedValueBox<[String]>([])

    func answer(_ call: KeyrotCall, method: String, from peer: PeerCredentials, mayBlock: Bool) -> VarlinkAnswer {
        switch call {
        case .sign(let parameters) where parameters.user_id.hasPrefix("fast"):
            carriedOut.withLockedValue { $0.append("event loop \(parameters.user_id)") }
            return .reply(Self.echo(parameters))
        case .sign(let parameters):
            guard mayBlock else { return .mustBlock }
            if parameters.user_id.hasPrefix("slow") { usleep(30_000) }
            carriedOut.withLockedValue { $0.append("pool \(parameters.user_id)") }
            return .reply(Self.echo(parameters))
        case .status:
            guard mayBlock else { return .mustBlock }
            lastPeer.withLockedValue { $0 = peer }
            return .reply(
                .parameters(
                    KeyrotAPI.StatusResult(
                        version: "test",
                        database: "-",
                        workspaces: 0,
                        next_rotation_workspace: nil,
                        next_rotation_at: nil,
                        status: "test"
                    )
                )
            )
        default:
            return .error(.methodNotFound(method))
        }
    }

    static func echo(_ parameters: KeyrotAPI.SignParameters) -> VarlinkReply {
        .parameters(KeyrotAPI.SignResult(token: parameters.user_id, key_id: "k", issued_at: "now", expires_at: "later"))
    }
}

/// A control server on a socket in a fresh directory, running until the fixture is stopped.
final class ServerFixture: Sendable {
    let directory: TemporaryDirectory
    let service = EchoService()
    let task: Task<Void, any Error>
    /// The server's threads for blocking calls, shut down by ``stop()``.
    let pool = NIOThreadPool(numberOfThreads: 2)
    var socketPath: String { directory.path("control.sock") }

    init(limits: ControlLimits = ControlLimits()) async throws {
        let directory = try TemporaryDirectory()
        self.directory = directory
        let (listening, signal) = AsyncStream<Void>.makeStream()
        pool.start()
        let server = ControlServer(
            endpoint: .path(directory.path("control.sock")),
            service: service,
            info: VarlinkServiceInfo(vendor: "test", product: "keyrotd", version: "1", url: "https://example.com"),
            limits: limits,
            pool: pool,
            logger: Logger(label: "test"),
            onListening: { signal.yield() }
        )
        task = Task { try await server.run() }
        var iterator = listening.makeAsyncIterator()
        _ = await iterator.next()
    }

    func stop() async {
        task.cancel()
        _ = try? await task.value
        try? await pool.shutdownGracefully()
        directory.remove()
    }

    func connect() throws -> RawSocket { try RawSocket(path: socketPath) }

    /// Sends one call and returns the parsed reply.
    func call(_ socket: RawSocket, _ json: String) async throws -> [String: Any] {
        try await socket.send(message: json)
        guard let reply = try await socket.receive() else { throw RawSocketError.failed("closed", 0) }
        return try JSONSerialization.jsonObject(with: Data(reply.utf8)) as! [String: Any]
    }

    static let status = #"{"method":"io.keyrotd.Status"}"#
}

extension Dictionary where Key == String, Value == Any {
    var error: String? { self["error"] as? String }
    var parameters: [String: Any] { self["parameters"] as? [String: Any] ?? [:] }
}
