import Foundation
import NIOCore

/// Answers, on the event loop itself, the calls of one connection that need no I/O (a `Sign` with cached keys,
/// `GetInfo`); every other call goes on to the connection's task, as before.
///
/// - Important: Replies stay in request order: once a call has gone to the task, every later call follows it there
///   until the task has answered all it was given (each of its answers, an empty buffer for a oneway call, passes
///   back through here on its way out).
final class ImmediateAnswerHandler: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let peer: PeerCredentials
    private let answer: (VarlinkCall, PeerCredentials) -> VarlinkReply?
    /// Calls handed to the task and not answered yet.
    private var withTheTask = 0

    init(peer: PeerCredentials, answer: @escaping (VarlinkCall, PeerCredentials) -> VarlinkReply?) {
        self.peer = peer
        self.answer = answer
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let message = unwrapInboundIn(data)
        if withTheTask == 0, let call = try? VarlinkCall(message: Data(message.readableBytesView)),
            let reply = answer(call, peer)
        {
            if !call.oneway { context.writeAndFlush(wrapOutboundOut(reply.bytes), promise: nil) }
            return
        }
        withTheTask += 1
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        withTheTask = max(withTheTask - 1, 0)
        context.write(data, promise: promise)
    }
}
