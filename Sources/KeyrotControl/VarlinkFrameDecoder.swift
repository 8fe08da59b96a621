import NIOCore

/// Splits a varlink byte stream into messages: each is a JSON object followed by a NUL byte.
///
/// - Important: It enforces `maximumMessageSize` itself (NIO's buffer limit is checked only between reads, so a
///   larger message arriving in two reads would pass), scans each byte once, so a peer sending one byte at a
///   time costs linear work, and closes the connection when a message is not complete `messageTimeout` after its
///   first byte.
struct VarlinkFrameDecoder: ByteToMessageDecoder {
    typealias InboundOut = ByteBuffer

    /// Thrown for a message longer than the limit.
    struct MessageTooLarge: Error {}

    let maximumMessageSize: Int
    let messageTimeout: TimeAmount
    /// How many bytes of the current message have been searched for a NUL already.
    private var scanned = 0
    /// Closes the connection if the current message is not complete in time.
    private var deadline: Scheduled<Void>?

    init(maximumMessageSize: Int, messageTimeout: TimeAmount = .hours(24)) {
        self.maximumMessageSize = maximumMessageSize
        self.messageTimeout = messageTimeout
    }

    mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        let view = buffer.readableBytesView
        let searchStart = view.startIndex + min(scanned, view.count)
        guard let end = view[searchStart...].firstIndex(of: 0) else {
            if deadline == nil, !view.isEmpty {
                let channel = context.channel
                deadline = context.eventLoop.scheduleTask(in: messageTimeout) { channel.close(promise: nil) }
            }
            scanned = view.count
            guard view.count <= maximumMessageSize else { throw MessageTooLarge() }
            return .needMoreData
        }
        let length = end - view.startIndex
        guard length <= maximumMessageSize else { throw MessageTooLarge() }
        scanned = 0
        deadline?.cancel()
        deadline = nil
        let message = buffer.readSlice(length: length)!
        buffer.moveReaderIndex(forwardBy: 1)
        context.fireChannelRead(Self.wrapInboundOut(message))
        return .continue
    }

    mutating func decoderRemoved(context: ChannelHandlerContext) {
        deadline?.cancel()
    }

    mutating func decodeLast(
        context: ChannelHandlerContext,
        buffer: inout ByteBuffer,
        seenEOF: Bool
    ) throws
        -> DecodingState
    {
        // A message cut off by the peer's close is dropped: there is nobody left to answer.
        while try decode(context: context, buffer: &buffer) == .continue {}
        return .needMoreData
    }
}
