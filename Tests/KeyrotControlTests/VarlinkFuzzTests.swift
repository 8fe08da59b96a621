import Foundation
import KeyrotTestSupport
import NIOCore
import NIOEmbedded
import Testing

@testable import KeyrotControl

/// Property-based fuzzing of the control socket's input side, from valid calls mutated into hostile ones, for a
/// bounded time (`KEYROT_FUZZ_SECONDS`, replay with `KEYROT_FUZZ_SEED`).
///
/// The properties: the frame decoder emits exactly the NUL-separated messages of a stream however it is split
/// into reads, never a frame holding a NUL or over the limit, never keeps more than the limit unread, and refuses
/// exactly the streams with an oversized message; every message reads as a call, or fails with the one error its
/// stage names, whose reply is one well-formed JSON message; a live server answers every message with a reply
/// or an error and a close, and keeps serving a bystander.
@Suite struct VarlinkFuzzTests {
    /// Valid calls of every method, and replies' shapes: the seeds of the mutations.
    static let calls: [String] = [
        #"{"method":"io.keyrotd.Status"}"#,
        #"{"method":"io.keyrotd.Sign","parameters":{"workspace":"acme","user_id":"u-1","ttl":"15min","claims":{"plan":"pro","n":3,"b":true}}}"#,
        #"{"method":"io.keyrotd.Verify","parameters":{"workspace":"acme","token":"eyJhbGciOiJIUzI1NiJ9.e30.c2ln"},"oneway":false}"#,
        #"{"method":"io.keyrotd.Rotate","parameters":{"workspace":"acme","emergency":true,"reason":"leak"}}"#,
        #"{"method":"io.keyrotd.FlagLeak","parameters":{"workspace":"acme","key_id":"acme.1","reason":"x"}}"#,
        #"{"method":"io.keyrotd.Revoke","parameters":{"workspace":"acme","key_id":"acme.1"}}"#,
        #"{"method":"io.keyrotd.ImportKey","parameters":{"workspace":"acme","secret":"c2VjcmV0","activate":false}}"#,
        #"{"method":"io.keyrotd.CreateWorkspace","parameters":{"name":"w","policy":{"algorithm":"HS512","rotate_every":"30d","require_kid":true,"signers":["uid:1000","group:web"]}}}"#,
        #"{"method":"io.keyrotd.UpdateWorkspace","parameters":{"name":"w","policy":{"grace":"7d","clock_skew":"60s"}}}"#,
        #"{"method":"io.keyrotd.GetWorkspace","parameters":{"name":"w"}}"#,
        #"{"method":"io.keyrotd.History","parameters":{"workspace":"acme","limit":10}}"#,
        #"{"method":"io.keyrotd.ListKeys","parameters":{"workspace":"acme"}}"#,
        #"{"method":"org.varlink.service.GetInterfaceDescription","parameters":{"interface":"io.keyrotd"}}"#,
        #"{"method":"org.varlink.service.GetInfo","oneway":true}"#,
    ]

    /// Every parameter shape keyrotd's methods decode.
    /// Mutations of the calls, up to `length` bytes.
    static func mutator(upTo length: Int) -> ByteMutator {
        ByteMutator(corpus: calls.map { Array($0.utf8) }, maximumLength: length)
    }

    @Test func framesAreTheSameHoweverTheStreamIsSplit() async throws {
        let report = await FuzzCampaign("varlink frames", minimumCases: 20).run { generator in
            let limit = [16, 100, 1024].randomElement(using: &generator)!
            let stream = Self.randomStream(limit: limit, using: &generator)
            let expected = Self.frames(of: stream, limit: limit)
            let splits = [Self.randomSplit(stream, using: &generator), [stream]]
            for chunks in splits {
                let got = try Self.decodeThroughNIO(chunks, limit: limit)
                guard got.frames == expected.frames, got.refused == expected.refused else {
                    let summary = "\(chunks.count) reads: \(got.frames.count) frames, refused \(got.refused)"
                    throw FuzzViolation(
                        "\(summary); expected \(expected.frames.count) frames, refused \(expected.refused)",
                        input: stream
                    )
                }
            }
            let direct = try Self.decodeDirectly(Self.randomSplit(stream, using: &generator), limit: limit)
            guard direct.frames == expected.frames, direct.refused == expected.refused else {
                throw FuzzViolation("decoded directly: \(direct.frames.count) frames", input: stream)
            }
            if let frame = direct.frames.first(where: { $0.contains(0) || $0.count > limit }) {
                throw FuzzViolation("emitted a frame with a NUL or over \(limit) bytes", input: frame)
            }
        }
        #expect(report.violations.isEmpty, "\(report)")
    }

    @Test func everyMessageReadsAsACallOrANamedError() async throws {
        var slowest = Duration.zero
        let report = await FuzzCampaign("varlink calls").run { generator in
            let seed = Array(Self.calls.randomElement(using: &generator)!.utf8)
            let message = Self.mutator(upTo: ControlLimits().maximumMessageSize).mutate(seed, using: &generator)
            let started = ContinuousClock.now
            defer { slowest = max(slowest, ContinuousClock.now - started) }
            let call: VarlinkCall<KeyrotCall>
            do throws(VarlinkError) {
                call = try VarlinkCall(message: Data(message), interface: "io.keyrotd")
            } catch {
                guard error.name == "io.keyrotd.InvalidRequest" else {
                    throw FuzzViolation("unreadable as \(error)", input: message)
                }
                try Self.checkFraming(VarlinkReply.error(error), of: message)
                return
            }
            switch call.target {
            case .failure(let error):
                let named: Bool =
                    switch error.name {
                    case "org.varlink.service.InvalidParameter":
                        if case .string(let name)? = error.parameters["parameter"] { !name.isEmpty } else { false }
                    case "org.varlink.service.MethodNotFound", "org.varlink.service.InterfaceNotFound": true
                    default: false
                    }
                guard named else { throw FuzzViolation("refused as \(error)", input: message) }
                try Self.checkFraming(VarlinkReply.error(error), of: message)
            case .success(.service(let methods)):
                // Whatever was read goes back out framed: a reply echoing it holds no NUL before its end.
                for case let parameters as any Encodable in Mirror(reflecting: methods).children.map(\.value) {
                    try Self.checkFraming(VarlinkReply.parameters(parameters), of: message)
                }
            case .success: break
            }
        }
        #expect(report.violations.isEmpty, "\(report)")
        // Reading a message is linear in its size: no 64 KiB message may hold a connection for long.
        #expect(slowest < .seconds(1), "the slowest message took \(slowest) to read (\(report))")
    }

    @Test func aServerAnswersEveryMessageOrClosesAndServesOthers() async throws {
        // Connections made now wait for the campaign's turn: they must not idle out meanwhile.
        let server = try await ServerFixture(
            limits: ControlLimits(maximumMessageSize: 4096, idleTimeout: .seconds(3600))
        )
        let bystander = try server.connect()
        var attacker = try server.connect()
        let report = await FuzzCampaign("varlink server", minimumCases: 20).run { generator in
            let seed = Array(Self.calls.randomElement(using: &generator)!.utf8)
            var message = Self.mutator(upTo: 8192).mutate(seed, using: &generator)
            message.removeAll { $0 == 0 }
            let oneway =
                (try? VarlinkCall<KeyrotCall>(message: Data(message), interface: "io.keyrotd"))?.oneway ?? false
            if message.count > 4096 {
                try? await attacker.send(message + [0])  // the server may close before it has read everything
            } else {
                try await attacker.send(message + [0])
                if oneway { return }
            }
            guard let reply = try await attacker.receive() else {
                attacker = try server.connect()  // so one violation does not break the cases after it
                throw FuzzViolation("closed without a reply", input: message)
            }
            guard let object = try? JSONSerialization.jsonObject(with: Data(reply.utf8)) as? [String: Any] else {
                throw FuzzViolation("replied \(reply)", input: message)
            }
            if let error = object["error"] as? String, error == "io.keyrotd.InvalidRequest" {
                let closed = await attacker.isClosedByPeer()
                attacker = try server.connect()
                guard closed else { throw FuzzViolation("not closed after \(reply)", input: message) }
            } else if object["error"] != nil, (object["error"] as? String)?.hasPrefix("org.varlink.service.") != true {
                throw FuzzViolation("replied \(reply)", input: message)
            }
        }
        #expect(report.violations.isEmpty, "\(report)")
        #expect(try await server.call(bystander, ServerFixture.status).error == nil)
        await server.stop()
    }

    /// A reply must be one JSON object and one NUL: no NUL inside, whatever the request carried.
    static func checkFraming(_ reply: VarlinkReply, of message: [UInt8]) throws {
        let bytes = Array(reply.bytes.readableBytesView)
        guard bytes.last == 0, bytes.firstIndex(of: 0) == bytes.count - 1,
            (try? JSONSerialization.jsonObject(with: Data(bytes.dropLast()))) is [String: Any]
        else { throw FuzzViolation("reply \(FuzzViolation.escaped(bytes))", input: message) }
    }

    /// One to six messages, valid or mutated (with NULs of their own at times), some near or over `limit`.
    static func randomStream(limit: Int, using generator: inout SeededGenerator) -> [UInt8] {
        var stream: [UInt8] = []
        for _ in 0..<Int.random(in: 1...6, using: &generator) {
            var message = Array(calls.randomElement(using: &generator)!.utf8)
            switch Int.random(in: 0..<4, using: &generator) {
            case 0: message = mutator(upTo: 2 * limit + 16).mutate(message, using: &generator)
            case 1:
                let size = limit + Int.random(in: -1...1, using: &generator)
                message =
                    Array(message.prefix(size))
                    + Array(repeating: UInt8(ascii: " "), count: max(0, size - message.count))
            default: break
            }
            stream += message
            if !generator.oneIn(8) { stream.append(0) }
        }
        return stream
    }

    /// `stream` cut into reads of random sizes, one byte to all of it.
    static func randomSplit(_ stream: [UInt8], using generator: inout SeededGenerator) -> [[UInt8]] {
        var chunks: [[UInt8]] = []
        var start = 0
        let sizes = stream.count > 2048 ? [100, 4096, stream.count + 1] : [1, 7, 100, stream.count + 1]
        let largest = sizes.randomElement(using: &generator)!
        while start < stream.count {
            let end = min(stream.count, start + Int.random(in: 1...max(1, largest), using: &generator))
            chunks.append(Array(stream[start..<end]))
            start = end
        }
        return chunks
    }

    /// What a decoder must make of `stream`: the messages before the first one over `limit`, and whether there is
    /// one (a final message without its NUL counts once it is over the limit).
    static func frames(of stream: [UInt8], limit: Int) -> (frames: [[UInt8]], refused: Bool) {
        var pieces = stream.split(separator: 0, omittingEmptySubsequences: false).map(Array.init)
        let unfinished = pieces.removeLast()
        if let oversized = pieces.firstIndex(where: { $0.count > limit }) { return (Array(pieces[..<oversized]), true) }
        return (pieces, unfinished.count > limit)
    }

    /// The frames NIO's `ByteToMessageHandler` hands on with the decoder inside, fed `chunks` one read each.
    static func decodeThroughNIO(_ chunks: [[UInt8]], limit: Int) throws -> (frames: [[UInt8]], refused: Bool) {
        let channel = EmbeddedChannel(handler: ByteToMessageHandler(VarlinkFrameDecoder(maximumMessageSize: limit)))
        var refused = false
        for chunk in chunks {
            do { try channel.writeInbound(ByteBuffer(bytes: chunk)) } catch is VarlinkFrameDecoder.MessageTooLarge {
                refused = true
                break
            }
        }
        var frames: [[UInt8]] = []
        while let frame = try channel.readInbound(as: ByteBuffer.self) { frames.append(Array(frame.readableBytesView)) }
        _ = try? channel.finish()
        return (frames, refused)
    }

    /// The frames the decoder emits when driven by hand, checking after every read that it keeps at most `limit`
    /// bytes it has not turned into frames.
    static func decodeDirectly(_ chunks: [[UInt8]], limit: Int) throws -> (frames: [[UInt8]], refused: Bool) {
        let channel = EmbeddedChannel(handler: PassThrough())
        let context = try channel.pipeline.syncOperations.context(handlerType: PassThrough.self)
        var decoder = VarlinkFrameDecoder(maximumMessageSize: limit)
        var buffer = ByteBuffer()
        var refused = false
        for chunk in chunks {
            buffer.writeBytes(chunk)
            do {
                while try decoder.decode(context: context, buffer: &buffer) == .continue {}
            } catch is VarlinkFrameDecoder.MessageTooLarge {
                refused = true
                break
            }
            guard buffer.readableBytes <= limit else {
                throw FuzzViolation("kept \(buffer.readableBytes) bytes unread", input: chunks.joined())
            }
        }
        var frames: [[UInt8]] = []
        while let frame = try channel.readInbound(as: ByteBuffer.self) { frames.append(Array(frame.readableBytesView)) }
        decoder.decoderRemoved(context: context)
        _ = try? channel.finish()
        return (frames, refused)
    }

    /// A handler that only lends the decoder a context; what the decoder fires passes through it to the test.
    final class PassThrough: ChannelInboundHandler {
        typealias InboundIn = ByteBuffer
    }
}
