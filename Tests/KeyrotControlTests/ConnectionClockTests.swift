import Foundation
import NIOCore
import NIOEmbedded
import NIOPosix
import Testing

@testable import KeyrotControl

/// The control socket's timeouts on NIO's embedded event loop, whose clock only the test moves: no wall clock is
/// raced, so each deadline is checked to the tick.
@Suite struct ConnectionClockTests {
    static func message(_ json: String) -> ByteBuffer {
        var buffer = ByteBuffer(string: json)
        buffer.writeInteger(UInt8(0))
        return buffer
    }

    @Test func aDrippedMessageIsDroppedOneTimeoutAfterItsFirstByte() throws {
        let channel = EmbeddedChannel(
            handler: ByteToMessageHandler(
                VarlinkFrameDecoder(maximumMessageSize: 64 * 1024, messageTimeout: .seconds(1))
            )
        )
        try channel.connect(to: SocketAddress(unixDomainSocketPath: "/peer")).wait()
        // A byte every 200 ms: each one would reset a plain idle timer; the message's own deadline does not move.
        for byte in Array(#"{"method":"io.keyrotd.Status"#.utf8).prefix(5) {
            #expect(channel.isActive)
            try channel.writeInbound(ByteBuffer(bytes: [byte]))
            channel.embeddedEventLoop.advanceTime(by: .milliseconds(199))
            #expect(channel.isActive, "closed before its time")
            channel.embeddedEventLoop.advanceTime(by: .milliseconds(1))
        }
        #expect(!channel.isActive, "still open 1 s after the first byte")
        _ = try? channel.finish()
    }

    @Test func aCompleteMessageCancelsItsDeadline() throws {
        let channel = EmbeddedChannel(
            handler: ByteToMessageHandler(
                VarlinkFrameDecoder(maximumMessageSize: 64 * 1024, messageTimeout: .seconds(1))
            )
        )
        try channel.connect(to: SocketAddress(unixDomainSocketPath: "/peer")).wait()
        try channel.writeInbound(ByteBuffer(string: #"{"method":"#))
        channel.embeddedEventLoop.advanceTime(by: .milliseconds(500))
        try channel.writeInbound(Self.message(#""io.keyrotd.Status"}"#))
        channel.embeddedEventLoop.advanceTime(by: .seconds(3600))
        #expect(channel.isActive)
        #expect(try channel.readInbound(as: ByteBuffer.self) == ByteBuffer(string: #"{"method":"io.keyrotd.Status"}"#))
        _ = try? channel.finish()
    }

    /// A connection told to wind down (graceful shutdown) whose peer reads none of its replies is closed when the
    /// drain ends, not before and not later.
    @Test func gracefulShutdownClosesAPeerThatDoesNotReadWhenTheDrainEnds() throws {
        let handler = VarlinkConnectionHandler(
            service: EchoService(),
            info: VarlinkServiceInfo(vendor: "test", product: "keyrotd", version: "1", url: "https://example.com"),
            peer: PeerCredentials(pid: 1, uid: 1, gid: 1),
            pool: NIOThreadPool(numberOfThreads: 1),  // never started: these calls do not block
            maximumMessageSize: 64 * 1024,
            drain: .seconds(2)
        )
        let channel = EmbeddedChannel(handler: handler)
        try channel.connect(to: SocketAddress(unixDomainSocketPath: "/peer")).wait()
        let call = #"{"method":"io.keyrotd.Sign","parameters":{"workspace":"w","user_id":"fast1"}}"#
        try channel.writeInbound(ByteBuffer(string: call))
        #expect(try channel.readOutbound(as: ByteBuffer.self) != nil, "answered on the event loop")
        channel.isWritable = false  // the peer stopped reading: its replies back up
        channel.pipeline.fireChannelWritabilityChanged()
        try channel.writeInbound(ByteBuffer(string: call))
        #expect(try channel.readOutbound(as: ByteBuffer.self) == nil, "no reply is written while the peer reads none")

        channel.pipeline.fireUserInboundEventTriggered(ChannelShouldQuiesceEvent())
        channel.embeddedEventLoop.advanceTime(by: .milliseconds(1999))
        #expect(channel.isActive, "closed before the drain ended")
        channel.embeddedEventLoop.advanceTime(by: .milliseconds(1))
        #expect(!channel.isActive, "still open when the drain ended")
        _ = try? channel.finish()
    }

    @Test func aWindingDownConnectionThatHasAnsweredEverythingClosesAtOnce() throws {
        let channel = EmbeddedChannel(
            handler: VarlinkConnectionHandler(
                service: EchoService(),
                info: VarlinkServiceInfo(vendor: "test", product: "keyrotd", version: "1", url: "https://example.com"),
                peer: PeerCredentials(pid: 1, uid: 1, gid: 1),
                pool: NIOThreadPool(numberOfThreads: 1),  // never started: these calls do not block
                maximumMessageSize: 64 * 1024,
                drain: .seconds(2)
            )
        )
        try channel.connect(to: SocketAddress(unixDomainSocketPath: "/peer")).wait()
        channel.pipeline.fireUserInboundEventTriggered(ChannelShouldQuiesceEvent())
        channel.embeddedEventLoop.run()
        #expect(!channel.isActive)
        _ = try? channel.finish()
    }
}
