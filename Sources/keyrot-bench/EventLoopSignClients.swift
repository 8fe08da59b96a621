import NIOCore
import NIOPosix

/// `Sign` round trips driven from the event loops themselves, the way a C client drives a socket: each connection
/// sends a prepared request, and sends the next one from the handler that reads the reply. It measures what the
/// daemon's socket can do, free of the thread hops an async client adds on its own side.
enum EventLoopSignClients {
    /// Runs `clients` connections to `path` for `seconds`; returns every round trip's latency in nanoseconds.
    static func run(clients: Int, path: String, seconds: Double, request: [UInt8]) async throws -> [Int64] {
        let until = NIODeadline.now() + .nanoseconds(Int64(seconds * 1e9))
        var finished: [EventLoopFuture<[Int64]>] = []
        for _ in 0..<clients {
            let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(NULFrames()))
                        try channel.pipeline.syncOperations.addHandler(
                            RoundTripper(request: request, until: until, done: channel.eventLoop.makePromise())
                        )
                    }
                }
                .connect(unixDomainSocketPath: path).get()
            finished.append(try await channel.pipeline.handler(type: RoundTripper.self).map(\.done.futureResult).get())
        }
        var latencies: [Int64] = []
        for future in finished { latencies += try await future.get() }
        return latencies
    }

    /// Sends the request, and again on each reply, until the deadline; then reports the latencies and closes.
    private final class RoundTripper: ChannelInboundHandler {
        typealias InboundIn = ByteBuffer
        typealias OutboundOut = ByteBuffer

        let request: [UInt8]
        let until: NIODeadline
        let done: EventLoopPromise<[Int64]>
        private var sentAt = NIODeadline.now()
        private var latencies: [Int64] = []
        private var finished = false

        init(request: [UInt8], until: NIODeadline, done: EventLoopPromise<[Int64]>) {
            self.request = request
            self.until = until
            self.done = done
        }

        func channelActive(context: ChannelHandlerContext) {
            send(context)
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let now = NIODeadline.now()
            let reply = unwrapInboundIn(data)
            guard reply.readableBytesView.starts(with: Array(#"{"parameters":"#.utf8)) else {
                return finish(context, .failure(ReplyError(text: String(buffer: reply))))
            }
            latencies.append((now - sentAt).nanoseconds)
            if now < until { send(context) } else { finish(context, .success(latencies)) }
        }

        func errorCaught(context: ChannelHandlerContext, error: any Error) {
            finish(context, .failure(error))
        }

        func channelInactive(context: ChannelHandlerContext) {
            finish(context, .failure(ReplyError(text: "(the connection closed)")))
        }

        private func finish(_ context: ChannelHandlerContext, _ result: Result<[Int64], any Error>) {
            guard !finished else { return }
            finished = true
            done.completeWith(result)
            context.close(promise: nil)
        }

        private func send(_ context: ChannelHandlerContext) {
            sentAt = .now()
            context.writeAndFlush(wrapOutboundOut(context.channel.allocator.buffer(bytes: request)), promise: nil)
        }
    }

    /// A reply that was not a successful `Sign`.
    struct ReplyError: Error, CustomStringConvertible {
        var text: String
        var description: String { "the daemon answered: \(text)" }
    }
}

/// Splits a byte stream at each NUL: one varlink message each.
struct NULFrames: ByteToMessageDecoder {
    typealias InboundOut = ByteBuffer

    mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard let end = buffer.readableBytesView.firstIndex(of: 0) else { return .needMoreData }
        let message = buffer.readSlice(length: end - buffer.readerIndex)!
        buffer.moveReaderIndex(forwardBy: 1)
        context.fireChannelRead(wrapInboundOut(message))
        return .continue
    }
}
