import NIOCore
import Synchronization

/// An accepted connection on its way from NIO's accept stream to the task that serves it: the channel (its
/// handlers installed, not reading yet) and its peer.
///
/// - Important: If the accept loop ends (cancellation, shutdown) while connections are still buffered in the
///   stream, NIO drops them. A dropped `NIOAsyncChannel` traps (apple/swift-nio#2637), so the stream carries this
///   owner of a plain channel instead: the serving task wraps the channel itself, and a connection that never
///   reached one is closed in `deinit`.
final class AcceptedConnection: Sendable {
    private let connection: Mutex<(channel: any Channel, peer: PeerCredentials)?>

    init(_ channel: any Channel, peer: PeerCredentials) {
        connection = Mutex((channel, peer))
    }

    /// Hands the connection over to its server task; after this the owner lets go of it.
    func take() -> (channel: any Channel, peer: PeerCredentials)? {
        connection.withLock { connection in
            defer { connection = nil }
            return connection
        }
    }

    deinit {
        connection.withLock { $0 }?.channel.close(promise: nil)
    }
}

extension Channel {
    /// Wraps this accepted channel for async use and starts reading from it; with `immediate`, calls it can answer
    /// without I/O are answered on the event loop, in front of the async end.
    func startServing(
        peer: PeerCredentials,
        immediate: (@Sendable (VarlinkCall, PeerCredentials) -> VarlinkReply?)?
    ) async throws -> NIOAsyncChannel<ByteBuffer, ByteBuffer> {
        try await eventLoop.submit {
            if let immediate {
                try self.pipeline.syncOperations.addHandler(ImmediateAnswerHandler(peer: peer, answer: immediate))
            }
            let connection = try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: self)
            try self.syncOptions?.setOption(.autoRead, value: true)
            return connection
        }.get()
    }
}
