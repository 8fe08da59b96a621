import Foundation
import NIOCore
import NIOPosix

/// Serves one connection's calls, in order, on its event loop: each message is decoded once and answered there if it
/// needs nothing that could block, else on the server's thread pool, and the replies go out in request order.
///
/// - Important: Memory stays bounded whatever the peer does: while a call is on the thread pool, or the peer is not
///   reading its replies (the channel is not writable), no more is read from the connection, so the socket's
///   buffers, not the daemon, hold what the peer keeps sending. A message that is not a varlink call gets an error
///   and the connection is closed. On ``ChannelShouldQuiesceEvent`` (the server is shutting down) it reads no more,
///   finishes what it has, and closes; a peer that does not read its replies is closed after `drain` all the same.
final class VarlinkConnectionHandler<Service: VarlinkService>: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let service: Service
    private let info: VarlinkServiceInfo
    private let peer: PeerCredentials
    private let pool: NIOThreadPool
    private let maximumMessageSize: Int
    private let drain: TimeAmount
    /// Decodes this connection's calls (the handler runs on one event loop: never two calls at once).
    private let decoder: JSONDecoder
    /// Messages received and not yet answered, oldest first.
    private var waiting = CircularBuffer<ByteBuffer>()
    /// A call is on the thread pool: the calls after it wait for it.
    private var blocked = false
    /// A `read` was held back (see ``read(context:)``).
    private var readHeldBack = false
    /// The connection ends once what it has is answered.
    private var finishing = false
    /// Closes the connection when the shutdown drain ends; cancelled if it closes first.
    private var drainTimer: Scheduled<Void>?

    init(
        service: Service,
        info: VarlinkServiceInfo,
        peer: PeerCredentials,
        pool: NIOThreadPool,
        maximumMessageSize: Int,
        drain: TimeAmount
    ) {
        self.service = service
        self.info = info
        self.peer = peer
        self.pool = pool
        self.maximumMessageSize = maximumMessageSize
        self.drain = drain
        decoder = VarlinkCall<Service.Methods>.decoder(forInterface: service.interface.name)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !finishing else { return }
        waiting.append(unwrapInboundIn(data))
        answerWaiting(context: context)
    }

    func channelInactive(context: ChannelHandlerContext) {
        drainTimer?.cancel()
        drainTimer = nil
        context.fireChannelInactive()
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        context.flush()
    }

    /// Reads on only while nothing is held up: no call on the thread pool, and the peer reading its replies.
    func read(context: ChannelHandlerContext) {
        if blocked || finishing || !context.channel.isWritable || !waiting.isEmpty {
            readHeldBack = true
        } else {
            context.read()
        }
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable {
            answerWaiting(context: context)
            context.flush()
        }
        context.fireChannelWritabilityChanged()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if error is VarlinkFrameDecoder.MessageTooLarge {
            finish(context: context, with: .invalidRequest("message larger than \(maximumMessageSize) bytes"))
        } else {
            context.close(promise: nil)
        }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        guard event is ChannelShouldQuiesceEvent else { return context.fireUserInboundEventTriggered(event) }
        finishing = true
        let channel = context.channel
        drainTimer = context.eventLoop.scheduleTask(in: drain) { channel.close(promise: nil) }
        closeIfDone(context: context)
    }

    /// Answers the waiting calls in order, as far as it can now; then reads on, or closes, if it may.
    private func answerWaiting(context: ChannelHandlerContext) {
        while !blocked, context.channel.isWritable, let message = waiting.popFirst() {
            answer(message, context: context)
        }
        if readHeldBack, !blocked, !finishing, context.channel.isWritable, waiting.isEmpty {
            readHeldBack = false
            context.read()
        }
        closeIfDone(context: context)
    }

    private func answer(_ message: ByteBuffer, context: ChannelHandlerContext) {
        let call: VarlinkCall<Service.Methods>
        do {
            call = try VarlinkCall(message: Data(message.readableBytesView), decoder: decoder)
        } catch {
            return finish(context: context, with: error)
        }
        let immediate: VarlinkAnswer =
            switch call.target {
            case .failure(let error): .error(error)
            case .success(.getInfo): .reply(getInfo())
            case .success(.getInterfaceDescription(let name)): .reply(interfaceDescription(name))
            case .success(.service(let methods)):
                service.answer(methods, method: call.method, from: peer, mayBlock: false)
            }
        guard case .mustBlock = immediate, case .success(.service(let methods)) = call.target else {
            if case .reply(let reply) = immediate, !call.oneway {
                context.write(wrapOutboundOut(reply.bytes), promise: nil)
            }
            return
        }
        blocked = true
        let (service, peer, method) = (service, peer, call.method)
        let answered = pool.runIfActive(eventLoop: context.eventLoop) {
            service.answer(methods, method: method, from: peer, mayBlock: true)
        }
        let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        answered.whenComplete { result in
            let (handler, context) = loopBound.value
            handler.blocked = false
            let reply: VarlinkReply =
                switch result {
                case .success(.reply(let reply)): reply
                case .success(.mustBlock): .error(.internalError("the call asked to block where it may"))
                case .failure: .error(.shuttingDown)
                }
            if !call.oneway { context.write(handler.wrapOutboundOut(reply.bytes), promise: nil) }
            handler.answerWaiting(context: context)
            context.flush()
        }
    }

    /// Sends `error` and closes the connection once it is written; nothing more is read or answered.
    private func finish(context: ChannelHandlerContext, with error: VarlinkError) {
        finishing = true
        waiting.removeAll()
        let channel = context.channel
        context.writeAndFlush(wrapOutboundOut(VarlinkReply.error(error).bytes)).whenComplete { _ in
            channel.close(promise: nil)
        }
    }

    private func closeIfDone(context: ChannelHandlerContext) {
        guard finishing, !blocked, waiting.isEmpty else { return }
        let channel = context.channel
        context.writeAndFlush(wrapOutboundOut(ByteBuffer())).whenComplete { _ in channel.close(promise: nil) }
    }

    private struct Info: Encodable {
        var vendor, product, version, url: String
        var interfaces: [String]
    }

    private struct InterfaceDescription: Encodable { var description: String }

    private var interfaces: [String] { ["org.varlink.service", service.interface.name] }

    private func getInfo() -> VarlinkReply {
        .parameters(
            Info(
                vendor: info.vendor,
                product: info.product,
                version: info.version,
                url: info.url,
                interfaces: interfaces
            )
        )
    }

    private func interfaceDescription(_ name: String) -> VarlinkReply {
        guard interfaces.contains(name),
            let file = ([service.interface] + VarlinkInterfaceFile.embedded).first(where: { $0.name == name })
        else { return .error(.interfaceNotFound(name)) }
        return .parameters(InterfaceDescription(description: file.contents))
    }
}
