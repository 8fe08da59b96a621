import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import ServiceLifecycle
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// Serves varlink on a UNIX socket: `org.varlink.service` itself, everything else through a ``VarlinkService``.
///
/// - Important: One peer never hurts another: each connection runs in its own task and ends on its own errors;
///   messages are capped at ``ControlLimits/maximumMessageSize``, connections at
///   ``ControlLimits/maximumConnections``, and silence at ``ControlLimits/idleTimeout``. Requests on one
///   connection are answered in order. It stops accepting on graceful shutdown and finishes the calls in flight.
public final class ControlServer: Service, Sendable {
    /// Where to listen.
    public enum Endpoint: Sendable, CustomStringConvertible {
        /// Bind a new socket file (mode 0660), replacing a stale one; removed again on shutdown.
        case path(String)
        /// Adopt a listening socket handed over by systemd; the socket file is left alone.
        case descriptor(CInt)

        public var description: String {
            switch self {
            case .path(let path): path
            case .descriptor(let descriptor): "inherited descriptor \(descriptor)"
            }
        }
    }

    let endpoint: Endpoint
    let service: any VarlinkService
    let info: VarlinkServiceInfo
    let limits: ControlLimits
    let logger: Logger
    let onListening: @Sendable () -> Void
    private let connections = Atomic<Int>(0)
    /// Connections per uid, taken and given back from many connections' tasks at once. A pthread mutex
    /// (`NIOLockedValueBox`) rather than `Synchronization.Mutex`, whose futex-based lock ThreadSanitizer cannot see:
    /// under a connection flood it reported the counts' updates, each made under the lock, as a race.
    private let connectionsByUID = NIOLockedValueBox<[UInt32: Int]>([:])

    /// How long a connection may keep writing replies after graceful shutdown begins before it is closed.
    static let shutdownDrain = TimeAmount.seconds(2)

    public init(
        endpoint: Endpoint,
        service: any VarlinkService,
        info: VarlinkServiceInfo,
        limits: ControlLimits = ControlLimits(),
        logger: Logger,
        onListening: @escaping @Sendable () -> Void = {}
    ) {
        self.endpoint = endpoint
        self.service = service
        self.info = info
        self.limits = limits
        self.logger = logger
        self.onListening = onListening
    }

    public func run() async throws {
        let listener = try await bind()
        if case .path(let path) = endpoint {
            guard chmod(path, 0o660) == 0 else { throw ControlSocketError.cannotChangeMode(path: path, errno: errno) }
        }
        defer { if case .path(let path) = endpoint { unlink(path) } }
        logger.info("control socket listening", metadata: ["keyrot.socket": "\(endpoint)"])
        onListening()
        try await withThrowingDiscardingTaskGroup { group in
            try await listener.executeThenClose { inbound in
                for try await accepted in inbound.cancelOnGracefulShutdown() {
                    let active = connections.add(1, ordering: .relaxed).newValue
                    group.addTask {
                        defer { self.connections.subtract(1, ordering: .relaxed) }
                        await self.handle(accepted, active: active)
                    }
                }
            }
        }
    }

    /// Serves one accepted connection, or refuses it with an error when it is over a limit.
    private func handle(_ accepted: AcceptedConnection, active: Int) async {
        guard let (channel, peer) = accepted.take() else { return }
        let fromPeer = connectionsByUID.withLockedValue { counts in
            counts[peer.uid, default: 0] += 1
            return counts[peer.uid]!
        }
        defer {
            connectionsByUID.withLockedValue { counts in
                counts[peer.uid]! -= 1
                if counts[peer.uid] == 0 { counts[peer.uid] = nil }
            }
        }
        let refusal: String? =
            if active > limits.maximumConnections {
                "too many connections (at most \(limits.maximumConnections))"
            } else if fromPeer > limits.maximumConnectionsPerUID {
                "too many connections from uid \(peer.uid) (at most \(limits.maximumConnectionsPerUID))"
            } else {
                nil
            }
        let answer: @Sendable (VarlinkCall, PeerCredentials) -> VarlinkReply? = { [self] call, peer in
            answerImmediately(call, from: peer)
        }
        guard let connection = try? await channel.startServing(peer: peer, immediate: refusal == nil ? answer : nil)
        else { return }
        if let refusal {
            await refuse(connection, peer: peer, reason: refusal)
        } else {
            await serve(connection, peer: peer)
        }
    }

    private typealias Connection = NIOAsyncChannel<ByteBuffer, ByteBuffer>

    private func bind() async throws -> NIOAsyncChannel<AcceptedConnection, Never> {
        let bootstrap = ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.backlog, value: 256)
            .childChannelOption(.autoRead, value: false)  // reading starts once a task serves the connection
        let limits = self.limits
        let initialize: @Sendable (Channel) -> EventLoopFuture<AcceptedConnection> = { channel in
            PeerCredentials.of(channel).flatMapThrowing { peer in
                let pipeline = channel.pipeline.syncOperations
                try pipeline.addHandler(IdleStateHandler(readTimeout: TimeAmount(limits.idleTimeout)))
                try pipeline.addHandler(IdleConnectionCloser())
                try pipeline.addHandler(
                    ByteToMessageHandler(
                        VarlinkFrameDecoder(
                            maximumMessageSize: limits.maximumMessageSize,
                            messageTimeout: TimeAmount(limits.idleTimeout)
                        )
                    )
                )
                return AcceptedConnection(channel, peer: peer)
            }
        }
        switch endpoint {
        case .path(let path):
            try Self.removeStaleSocket(at: path)
            return try await bootstrap.bind(unixDomainSocketPath: path, childChannelInitializer: initialize)
        case .descriptor(let descriptor):
            return try await bootstrap.bind(descriptor, childChannelInitializer: initialize)
        }
    }

    /// Answers every message of one connection, in order, until the peer leaves, falls silent or misbehaves.
    private func serve(_ connection: Connection, peer: PeerCredentials) async {
        let channel = connection.channel
        await withGracefulShutdownHandler {
            await serveUntilDone(connection, peer: peer)
        } onGracefulShutdown: {
            // A peer that stopped reading must not hold up the daemon's exit: drain briefly, then close.
            channel.eventLoop.scheduleTask(in: Self.shutdownDrain) { channel.close(promise: nil) }
        }
    }

    private func serveUntilDone(_ connection: Connection, peer: PeerCredentials) async {
        do {
            try await connection.executeThenClose { inbound, outbound in
                do {
                    for try await message in inbound.cancelOnGracefulShutdown() {
                        let parsed = Result { () throws(VarlinkError) in
                            try VarlinkCall(message: Data(message.readableBytesView))
                        }
                        guard case .success(let call) = parsed else {
                            if case .failure(let error) = parsed {
                                try await outbound.write(VarlinkReply.error(error).bytes)
                            }
                            return
                        }
                        let reply = await answer(call, from: peer)
                        // Every call ends in one write, even a oneway one (an empty buffer, nothing on the wire):
                        // the immediate-answer handler counts them to keep replies in order.
                        try await outbound.write(call.oneway ? ByteBuffer() : reply.bytes)
                    }
                } catch is VarlinkFrameDecoder.MessageTooLarge {
                    let reason = "message larger than \(limits.maximumMessageSize) bytes"
                    try await outbound.write(VarlinkReply.error(.invalidRequest(reason)).bytes)
                }
            }
        } catch {
            logger.debug("control connection ended", metadata: ["keyrot.peer": "\(peer)", "keyrot.error": "\(error)"])
        }
    }

    private func refuse(_ connection: Connection, peer: PeerCredentials, reason: String) async {
        logger.warning(
            "control connection refused",
            metadata: ["keyrot.peer": "\(peer)", "keyrot.reason": "\(reason)"]
        )
        let reply = VarlinkReply.error(.invalidRequest(reason))
        try? await connection.executeThenClose { _, outbound in try await outbound.write(reply.bytes) }
    }

    private func answer(_ call: VarlinkCall, from peer: PeerCredentials) async -> VarlinkReply {
        if let reply = answerOutsideTheService(call) { return reply }
        do throws(VarlinkError) { return try await service.reply(to: call, from: peer) } catch { return .error(error) }
    }

    /// The reply to `call` if it can be given at once, without I/O, on the event loop; nil to ask the task.
    private func answerImmediately(_ call: VarlinkCall, from peer: PeerCredentials) -> VarlinkReply? {
        answerOutsideTheService(call) ?? service.immediateReply(to: call, from: peer)
    }

    /// The reply to a call the server answers itself (`org.varlink.service`, an unknown interface); nil for a call
    /// of the service's interface.
    private func answerOutsideTheService(_ call: VarlinkCall) -> VarlinkReply? {
        switch call.interface {
        case service.interface.name: return nil
        case "org.varlink.service":
            do throws(VarlinkError) { return try answerServiceCall(call) } catch { return .error(error) }
        default: return .error(.interfaceNotFound(call.interface))
        }
    }

    private struct InterfaceQuery: Decodable { var interface: String }
    private struct InterfaceDescription: Encodable { var description: String }
    private struct Info: Encodable {
        var vendor, product, version, url: String
        var interfaces: [String]
    }

    private func answerServiceCall(_ call: VarlinkCall) throws(VarlinkError) -> VarlinkReply {
        let interfaces = ["org.varlink.service", service.interface.name]
        switch call.name {
        case "GetInfo":
            return .parameters(
                Info(
                    vendor: info.vendor,
                    product: info.product,
                    version: info.version,
                    url: info.url,
                    interfaces: interfaces
                )
            )
        case "GetInterfaceDescription":
            let name = try call.parameters(as: InterfaceQuery.self).interface
            guard let file = ([service.interface] + VarlinkInterfaceFile.embedded).first(where: { $0.name == name }),
                interfaces.contains(name)
            else { throw .interfaceNotFound(name) }
            return .parameters(InterfaceDescription(description: file.contents))
        default:
            throw .methodNotFound(call.method)
        }
    }

    /// Removes a socket file nobody listens on any more; refuses to start beside a live one.
    static func removeStaleSocket(at path: String) throws {
        var status = stat()
        guard lstat(path, &status) == 0 else { return }
        guard status.st_mode & S_IFMT == S_IFSOCK else { throw ControlSocketError.notASocket(path: path) }
        let probe = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard probe >= 0 else { return }
        defer { close(probe) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { buffer in
            buffer.copyBytes(from: path.utf8.prefix(buffer.count - 1))
        }
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(probe, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        if connected == 0 { throw ControlSocketError.inUse(path: path) }
        unlink(path)
    }
}

/// Why the control socket cannot be set up.
public enum ControlSocketError: Error, CustomStringConvertible {
    case inUse(path: String)
    case notASocket(path: String)
    case cannotChangeMode(path: String, errno: Int32)

    public var description: String {
        switch self {
        case .inUse(let path): "\(path) is in use: another keyrotd is listening there"
        case .notASocket(let path): "\(path) exists and is not a socket; not replacing it"
        case .cannotChangeMode(let path, let code):
            "cannot set mode 0660 on \(path): \(String(cString: strerror(code)))"
        }
    }
}

/// Closes a connection when `IdleStateHandler` reports it has been silent too long.
private final class IdleConnectionCloser: ChannelInboundHandler, Sendable {
    typealias InboundIn = ByteBuffer

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is IdleStateHandler.IdleStateEvent {
            context.close(promise: nil)
        } else {
            context.fireUserInboundEventTriggered(event)
        }
    }
}

extension TimeAmount {
    init(_ duration: Duration) {
        let (seconds, attoseconds) = duration.components
        self = .nanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }
}
