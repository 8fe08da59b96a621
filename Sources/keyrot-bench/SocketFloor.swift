import Foundation
import NIOCore
import NIOPosix

#if canImport(Glibc)
import Glibc
#endif

/// What this machine's UNIX sockets give with nothing behind them, measured in the same run as keyrotd: the
/// floors DESIGN §7 compares against (there, a C ping-pong).
enum SocketFloor {
    /// One connection, blocking calls on two threads, a request of `request` bytes answered with `reply` bytes:
    /// round-trip latencies in nanoseconds over `seconds`.
    static func pingPong(seconds: Double, request: Int, reply: Int) throws -> [Int64] {
        var pair: [Int32] = [0, 0]
        guard socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0, &pair) == 0 else { throw POSIXError(.EIO) }
        let (client, server) = (pair[0], pair[1])
        let echo = Thread {
            var incoming = [UInt8](repeating: 0, count: request)
            let outgoing = [UInt8](repeating: 0x61, count: reply)
            while readFully(server, &incoming) { _ = write(server, outgoing, outgoing.count) }
            close(server)
        }
        echo.start()
        defer { close(client) }
        let outgoing = [UInt8](repeating: 0x62, count: request)
        var incoming = [UInt8](repeating: 0, count: reply)
        var latencies: [Int64] = []
        let until = DispatchTime.now().uptimeNanoseconds + UInt64(seconds * 1e9)
        while true {
            let start = DispatchTime.now().uptimeNanoseconds
            guard start < until else { break }
            _ = write(client, outgoing, outgoing.count)
            guard readFully(client, &incoming) else { break }
            latencies.append(Int64(DispatchTime.now().uptimeNanoseconds - start))
        }
        shutdown(client, Int32(SHUT_RDWR))
        return latencies
    }

    private static func readFully(_ descriptor: Int32, _ buffer: inout [UInt8]) -> Bool {
        var filled = 0
        while filled < buffer.count {
            let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress! + filled, $0.count - filled) }
            guard count > 0 else { return false }
            filled += count
        }
        return true
    }

    /// A NIO server on `path` that answers every NUL-terminated message with `reply` at once, on the event loop:
    /// the same framing and event loops as keyrotd's socket, with no work behind them.
    static func echoServer(path: String, reply: [UInt8]) async throws -> any Channel {
        try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(NULFrames()))
                    try channel.pipeline.syncOperations.addHandler(Answer(reply: reply))
                }
            }
            .bind(unixDomainSocketPath: path, cleanupExistingSocketFile: true).get()
    }

    private final class Answer: ChannelInboundHandler {
        typealias InboundIn = ByteBuffer
        typealias OutboundOut = ByteBuffer
        let reply: [UInt8]

        init(reply: [UInt8]) { self.reply = reply }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            context.writeAndFlush(wrapOutboundOut(context.channel.allocator.buffer(bytes: reply)), promise: nil)
        }
    }
}
