import Foundation
import KeyrotCore
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import ServiceLifecycle

#if canImport(Glibc)
import Glibc
#endif

/// Serves varlink on a UNIX socket: `org.varlink.service` itself, everything else through a ``VarlinkService``.
///
/// - Important: One peer never hurts another: each connection is served on its event loop by a
///   `VarlinkConnectionHandler`, which answers calls that need no blocking there and runs the others on the server's
///   thread pool, in order, reading no more from a peer that is not reading its replies; messages are capped at
///   ``ControlLimits/maximumMessageSize``, connections at ``ControlLimits/maximumConnections`` (and
///   ``ControlLimits/maximumConnectionsPerUID``), and silence at ``ControlLimits/idleTimeout``. On graceful shutdown
///   it stops accepting, lets each connection finish the calls it has (for at most ``shutdownDrain``), and returns
///   once every connection is closed.
public final class ControlServer<Answerer: VarlinkService>: Service, Sendable {
    public typealias Endpoint = ControlEndpoint

    let endpoint: Endpoint
    let service: Answerer
    let info: VarlinkServiceInfo
    let limits: ControlLimits
    let logger: Logger
    let pool: NIOThreadPool
    let denials: DenialLog
    let onListening: @Sendable () async -> Void
    /// The open connections, and how many each uid holds. A pthread mutex (`NIOLockedValueBox`) rather than
    /// `Synchronization.Mutex`, whose futex-based lock ThreadSanitizer cannot see: under a connection flood it
    /// reported the counts' updates, each made under the lock, as a race.
    private let connections = NIOLockedValueBox(OpenConnections())

    /// The connections being served, by channel, and the count each uid holds.
    private struct OpenConnections {
        var channels: [ObjectIdentifier: any Channel] = [:]
        var byUID: [UInt32: Int] = [:]
    }

    /// How long a connection may keep answering after graceful shutdown begins before it is closed.
    static var shutdownDrain: TimeAmount { .seconds(2) }

    /// - Parameter pool: the threads that answer calls that may block (a started pool, shut down by its owner).
    /// - Parameter denials: where refused connections are logged (the daemon's service logs its denied calls there
    ///   too, each message with its own budget per uid); by default one of the server's own, on the system clock.
    public init(
        endpoint: Endpoint,
        service: Answerer,
        info: VarlinkServiceInfo,
        limits: ControlLimits = ControlLimits(),
        pool: NIOThreadPool,
        logger: Logger,
        denials: DenialLog? = nil,
        onListening: @escaping @Sendable () async -> Void = {}
    ) {
        self.endpoint = endpoint
        self.service = service
        self.info = info
        self.limits = limits
        self.pool = pool
        self.logger = logger
        self.denials = denials ?? DenialLog(logger: logger) { Timestamp(secondsSinceEpoch: Int64(time(nil))) }
        self.onListening = onListening
    }

    public func run() async throws {
        let listener = try await bind()
        if case .path(let path) = endpoint {
            guard chmod(path, 0o660) == 0 else {
                try? await listener.close()
                throw ControlSocketError.cannotChangeMode(path: path, errno: errno)
            }
        }
        defer { if case .path(let path) = endpoint { unlink(path) } }
        logger.info("control socket listening", metadata: ["keyrot.socket": "\(endpoint)"])
        await onListening()
        // READY means ready: a connection waiting in the socket (one systemd accepted for us, say) is served only now.
        listener.setOption(.autoRead, value: true).whenFailure { [logger] error in
            logger.error("the control socket cannot accept connections", metadata: ["keyrot.error": "\(error)"])
        }
        let reportHeldBack = listener.eventLoop.scheduleRepeatedTask(initialDelay: .minutes(1), delay: .minutes(1)) {
            [denials] _ in denials.reportHeldBack()
        }
        defer {
            reportHeldBack.cancel()
            denials.reportHeldBack(all: true)
        }
        // Waiting on the listener's close future from this task would bridge a NIO thread to Swift's concurrency
        // runtime in a way ThreadSanitizer cannot see; graceful shutdown (or cancellation) is awaited instead.
        try? await gracefulShutdown()
        let listenerClosed = NIOLockedValueBox(false)
        listener.closeFuture.whenComplete { _ in listenerClosed.withLockedValue { $0 = true } }
        listener.close(promise: nil)
        // Every connection finishes what it has, within the drain; a peer that stopped reading is closed then. The
        // listener's and the connections' closing is polled (no future awaited here either), for at most the drain
        // and a little more: run() returns once they are closed, so the process never exits while they close.
        let open = connections.withLockedValue { Array($0.channels.values) }
        for channel in open { channel.pipeline.fireUserInboundEventTriggered(ChannelShouldQuiesceEvent()) }
        let giveUp = NIODeadline.now() + Self.shutdownDrain + .seconds(1)
        while !Task.isCancelled, NIODeadline.now() < giveUp,
            connections.withLockedValue({ !$0.channels.isEmpty }) || !listenerClosed.withLockedValue({ $0 })
        {
            try? await Task.sleep(for: .milliseconds(10))
        }
    }

    private func bind() async throws -> any Channel {
        let bootstrap = ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.autoRead, value: false)  // accepting starts once `onListening` has run
            .childChannelOption(.writeBufferWaterMark, value: .init(low: 32 * 1024, high: 64 * 1024))
            .childChannelInitializer { [self] channel in
                PeerCredentials.of(channel).flatMapThrowing { peer in try self.admit(channel, peer: peer) }
            }
        switch endpoint {
        case .path(let path):
            try ControlEndpoint.removeStaleSocket(at: path)
            return try await bootstrap.bind(unixDomainSocketPath: path).get()
        case .descriptor(let descriptor):
            return try await bootstrap.withBoundSocket(descriptor).get()
        }
    }

    /// Counts the connection in, and sets up its pipeline: served, or refused with an error if it is over a limit.
    private func admit(_ channel: any Channel, peer: PeerCredentials) throws {
        let id = ObjectIdentifier(channel)
        let (active, fromPeer) = connections.withLockedValue { open in
            open.channels[id] = channel
            open.byUID[peer.uid, default: 0] += 1
            return (open.channels.count, open.byUID[peer.uid]!)
        }
        channel.closeFuture.whenComplete { [connections] _ in
            connections.withLockedValue { open in
                open.channels[id] = nil
                open.byUID[peer.uid]! -= 1
                if open.byUID[peer.uid] == 0 { open.byUID[peer.uid] = nil }
            }
        }
        let pipeline = channel.pipeline.syncOperations
        if let refusal = refusal(active: active, fromPeer: fromPeer, uid: peer.uid) {
            denials.warning("control connection refused", peer: peer, metadata: ["keyrot.reason": "\(refusal)"])
            channel.writeAndFlush(VarlinkReply.error(.connectionRefused(refusal)).bytes).whenComplete { _ in
                channel.close(promise: nil)
            }
            return
        }
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
        try pipeline.addHandler(
            VarlinkConnectionHandler(
                service: service,
                info: info,
                peer: peer,
                pool: pool,
                maximumMessageSize: limits.maximumMessageSize,
                drain: Self.shutdownDrain
            )
        )
    }

    private func refusal(active: Int, fromPeer: Int, uid: UInt32) -> String? {
        if active > limits.maximumConnections {
            "too many connections (at most \(limits.maximumConnections))"
        } else if fromPeer > limits.maximumConnectionsPerUID {
            "too many connections from uid \(uid) (at most \(limits.maximumConnectionsPerUID))"
        } else {
            nil
        }
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
