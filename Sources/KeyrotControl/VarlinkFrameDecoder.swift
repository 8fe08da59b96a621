import NIOCore

/// Splits a varlink byte stream into messages: each is a JSON object followed by a NUL byte.
///
/// Wrap it in `ByteToMessageHandler(_:maximumBufferSize:)`, which fails the connection once more than the limit
/// is buffered without a NUL: a message can never grow without bound.
struct VarlinkFrameDecoder: ByteToMessageDecoder {
    typealias InboundOut = ByteBuffer

    mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard let end = buffer.readableBytesView.firstIndex(of: 0) else { return .needMoreData }
        let length = end - buffer.readerIndex
        let message = buffer.readSlice(length: length)!
        buffer.moveReaderIndex(forwardBy: 1)
        context.fireChannelRead(Self.wrapInboundOut(message))
        return .continue
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
