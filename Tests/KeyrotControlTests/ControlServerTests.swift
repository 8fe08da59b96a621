import Foundation
import KeyrotTestSupport
import Logging
import NIOPosix
import ServiceLifecycle
import Testing

@testable import KeyrotControl

#if canImport(Glibc)
import Glibc
#endif

@Suite struct ControlServerTests {
    @Test func itDescribesItselfAsAVarlinkService() async throws {
        let server = try await ServerFixture()
        let socket = try server.connect()
        let info = try await server.call(socket, #"{"method":"org.varlink.service.GetInfo"}"#)
        #expect(info.parameters["interfaces"] as? [String] == ["org.varlink.service", "io.keyrotd"])
        let description = try await server.call(
            socket,
            #"{"method":"org.varlink.service.GetInterfaceDescription","parameters":{"interface":"io.keyrotd"}}"#
        )
        #expect(description.parameters["description"] as? String == VarlinkInterfaceFile.keyrotd.contents)
        let own = try await server.call(
            socket,
            #"{"method":"org.varlink.service.GetInterfaceDescription","parameters":{"interface":"org.varlink.service"}}"#
        )
        #expect((own.parameters["description"] as? String)?.contains("interface org.varlink.service") == true)
        let unknown = try await server.call(
            socket,
            #"{"method":"org.varlink.service.GetInterfaceDescription","parameters":{"interface":"com.example"}}"#
        )
        #expect(unknown.error == "org.varlink.service.InterfaceNotFound")
        await server.stop()
    }

    @Test func unknownMethodsAndInterfacesAndBadParametersGetVarlinkErrors() async throws {
        let server = try await ServerFixture()
        let socket = try server.connect()
        #expect(
            try await server.call(socket, #"{"method":"io.keyrotd.Nope"}"#).error
                == "org.varlink.service.MethodNotFound"
        )
        #expect(
            try await server.call(socket, #"{"method":"com.example.Do"}"#).error
                == "org.varlink.service.InterfaceNotFound"
        )
        let wrongType = try await server.call(
            socket,
            #"{"method":"io.keyrotd.Sign","parameters":{"workspace":"a","user_id":5}}"#
        )
        #expect(wrongType.error == "org.varlink.service.InvalidParameter")
        #expect(wrongType.parameters["parameter"] as? String == "user_id")
        let missing = try await server.call(socket, #"{"method":"io.keyrotd.Sign","parameters":{"user_id":"u"}}"#)
        #expect(missing.parameters["parameter"] as? String == "workspace")
        // The connection still serves after errors of that kind.
        #expect(try await server.call(socket, ServerFixture.status).error == nil)
        await server.stop()
    }

    @Test(arguments: [
        "hello", "[1,2,3]", #"{"method":7}"#, #"{"parameters":{}}"#, "{\"method\":\"x\u{FFFD}",
        #"{"method":"io.keyrotd.Status","upgrade":true}"#,
    ])
    func garbageGetsAnErrorAndACloseWhileOthersAreServed(garbage: String) async throws {
        let server = try await ServerFixture()
        let bystander = try server.connect()
        let attacker = try server.connect()
        let reply = try await server.call(attacker, garbage)
        #expect(reply.error == "io.keyrotd.InvalidRequest")
        #expect(await attacker.isClosedByPeer())
        #expect(try await server.call(bystander, ServerFixture.status).error == nil)
        await server.stop()
    }

    @Test func anOversizedMessageGetsAnErrorAndACloseWhileOthersAreServed() async throws {
        let server = try await ServerFixture(limits: ControlLimits(maximumMessageSize: 1024))
        let bystander = try server.connect()
        let attacker = try server.connect()
        try await attacker.send([UInt8](repeating: UInt8(ascii: "a"), count: 4096))
        let reply = try #require(try await attacker.receive())
        #expect(reply.contains("io.keyrotd.InvalidRequest") && reply.contains("larger than 1024 bytes"))
        #expect(await attacker.isClosedByPeer())
        #expect(try await server.call(bystander, ServerFixture.status).error == nil)
        await server.stop()
    }

    @Test func aMessageOverTheLimitIsRefusedEvenWhenItsEndArrivesInALaterRead() async throws {
        let server = try await ServerFixture(limits: ControlLimits(maximumMessageSize: 1024))
        let attacker = try server.connect()
        try await attacker.send(
            Array(#"{"method":"io.keyrotd.Status","parameters":{"pad":""#.utf8) + [UInt8](repeating: 0x61, count: 900)
        )
        try await Task.sleep(for: .milliseconds(50))  // let the first part be read on its own
        try await attacker.send([UInt8](repeating: 0x61, count: 600) + Array(#""}}"#.utf8) + [0])
        let reply = try #require(try await attacker.receive())
        #expect(reply.contains("larger than 1024 bytes"))
        await server.stop()
    }

    @Test func aHalfSentMessageStallsNobodyAndIsDroppedWhenIdle() async throws {
        let server = try await ServerFixture(limits: ControlLimits(idleTimeout: .seconds(3)))
        let slow = try server.connect()
        try await slow.send(Array(#"{"method":"io.keyrotd.Sta"#.utf8))
        // The bystander's calls run on a thread of their own, so a test process busy elsewhere cannot leave its
        // connection idle between connect and call for the timeout: that is not what this test is about.
        let path = server.socketPath
        let answered = try await onOwnThread {
            try (0..<20).filter { _ in try RawSocket(path: path).exchangeBlocking(ServerFixture.status) != nil }.count
        }
        #expect(answered == 20)
        #expect(await slow.isClosedByPeer())  // within the idle timeout, waited for by the socket's own read timeout
        await server.stop()
    }

    @Test func pipelinedRequestsAreAnsweredInOrder() async throws {
        let server = try await ServerFixture()
        let socket = try server.connect()
        let calls = (0..<50).map { #"{"method":"io.keyrotd.Sign","parameters":{"workspace":"w","user_id":"u\#($0)"}}"# }
        try await socket.send(calls.flatMap { Array($0.utf8) + [0] })
        for index in 0..<50 {
            let reply =
                try JSONSerialization.jsonObject(with: Data(try #require(try await socket.receive()).utf8))
                as! [String: Any]
            #expect(reply.parameters["token"] as? String == "u\(index)")
        }
        await server.stop()
    }

    @Test func callsAnsweredOnTheEventLoopNeverOvertakeTheOnesBeforeThem() async throws {
        let server = try await ServerFixture()
        let socket = try server.connect()
        let sign = { (user: String, oneway: Bool) in
            #"{"method":"io.keyrotd.Sign","oneway":\#(oneway),"parameters":{"workspace":"w","user_id":"\#(user)"}}"#
        }
        let calls = [
            sign("fast0", false), sign("slow1", false), sign("fast2", false), sign("fast3", false),
            sign("slow4", true), sign("fast5", false),
        ]
        try await socket.send(calls.flatMap { Array($0.utf8) + [0] })
        var tokens: [String] = []
        for _ in 0..<5 {
            let reply = try JSONSerialization.jsonObject(with: Data(try #require(try await socket.receive()).utf8))
            tokens.append((reply as? [String: Any])?.parameters["token"] as? String ?? "?")
        }
        #expect(tokens == ["fast0", "slow1", "fast2", "fast3", "fast5"])
        // Each call was carried out only once the ones before it were answered: fast calls on the event loop,
        // slow ones on the thread pool, the oneway slow4 included.
        #expect(
            server.service.carriedOut.withLockedValue { $0 } == [
                "event loop fast0", "pool slow1", "event loop fast2", "event loop fast3", "pool slow4",
                "event loop fast5",
            ]
        )
        await server.stop()
    }

    @Test func onewayCallsGetNoReply() async throws {
        let server = try await ServerFixture()
        let socket = try server.connect()
        try await socket.send(
            message: #"{"method":"io.keyrotd.Sign","oneway":true,"parameters":{"workspace":"w","user_id":"silent"}}"#
        )
        let reply = try await server.call(
            socket,
            #"{"method":"io.keyrotd.Sign","parameters":{"workspace":"w","user_id":"loud"}}"#
        )
        #expect(reply.parameters["token"] as? String == "loud")
        await server.stop()
    }

    @Test func connectionsBeyondTheLimitAreRefusedAndTheLimitFreesUp() async throws {
        let server = try await ServerFixture(limits: ControlLimits(maximumConnections: 2, maximumConnectionsPerUID: 2))
        var first: RawSocket? = try server.connect()
        let second = try server.connect()
        #expect(try await server.call(first!, ServerFixture.status).error == nil)
        #expect(try await server.call(second, ServerFixture.status).error == nil)
        let third = try server.connect()
        let refusal = try #require(try await third.receive())
        #expect(refusal.contains("too many connections"))
        #expect(await third.isClosedByPeer())
        first = nil
        var served = false
        for _ in 0..<100 where !served {
            try await Task.sleep(for: .milliseconds(20))  // the server notices the closed connection asynchronously
            let fourth = try server.connect()
            served = (try? await server.call(fourth, ServerFixture.status).error) == .some(nil)
        }
        #expect(served)
        await server.stop()
    }

    @Test func oneUIDCannotTakeEverySlot() async throws {
        let server = try await ServerFixture(limits: ControlLimits(maximumConnections: 8))  // 2 per uid
        let first = try server.connect()
        let second = try server.connect()
        #expect(try await server.call(first, ServerFixture.status).error == nil)
        #expect(try await server.call(second, ServerFixture.status).error == nil)
        let third = try server.connect()
        #expect(try await third.receive()?.contains("too many connections from uid \(getuid()) (at most 2)") == true)
        await server.stop()
    }

    // The dripped message's deadline, and the drain at shutdown, are checked to the tick on the embedded event
    // loop's clock in ConnectionClockTests; the test below checks that the server tells every connection to wind
    // down, with a bound far from the drain.

    @Test func gracefulShutdownIsNotHeldUpByAPeerThatDoesNotRead() async throws {
        let directory = try TemporaryDirectory()
        let path = directory.path("control.sock")
        let (listening, signal) = AsyncStream<Void>.makeStream()
        let pool = NIOThreadPool(numberOfThreads: 1)
        pool.start()
        let server = ControlServer(
            endpoint: .path(path),
            service: EchoService(),
            info: VarlinkServiceInfo(vendor: "test", product: "keyrotd", version: "1", url: "https://example.com"),
            pool: pool,
            logger: Logger(label: "test"),
            onListening: { signal.yield() }
        )
        let group = ServiceGroup(services: [server], logger: Logger(label: "test"))
        let running = Task { try await group.run() }
        var iterator = listening.makeAsyncIterator()
        _ = await iterator.next()
        let greedy = try RawSocket(path: path)
        let call = Array(#"{"method":"org.varlink.service.GetInfo"}"#.utf8) + [0]
        // Megabytes of calls whose replies it never reads: the server's writes back up, and so does this send.
        let flooding = Task { try? await greedy.send((0..<20_000).flatMap { _ in call }) }
        try await Task.sleep(for: .milliseconds(500))
        let stopping = ContinuousClock.now
        await group.triggerGracefulShutdown()
        try await running.value
        #expect(ContinuousClock.now - stopping < .seconds(5))
        flooding.cancel()
        try await pool.shutdownGracefully()
        directory.remove()
    }

    @Test func theServiceLearnsWhoIsCalling() async throws {
        let server = try await ServerFixture()
        _ = try await server.call(try server.connect(), ServerFixture.status)
        let peer = try #require(server.service.lastPeer.withLockedValue { $0 })
        #expect(peer.uid == getuid())
        #expect(peer.pid == getpid())
        await server.stop()
    }

    @Test func theSocketIsGroupOnlyAndGoneAfterShutdown() async throws {
        let server = try await ServerFixture()
        let attributes = try FileManager.default.attributesOfItem(atPath: server.socketPath)
        #expect((attributes[.posixPermissions] as? Int) == 0o660)
        server.task.cancel()
        _ = try? await server.task.value
        #expect(!FileManager.default.fileExists(atPath: server.socketPath))
        await server.stop()
    }

    @Test func aSecondServerRefusesALiveSocketButReplacesAStaleOne() async throws {
        let server = try await ServerFixture()
        #expect(throws: ControlSocketError.self) { try ControlEndpoint.removeStaleSocket(at: server.socketPath) }
        await server.stop()
        let directory = try TemporaryDirectory()
        let path = directory.path("stale.sock")
        let stale = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: path.utf8.prefix($0.count - 1)) }
        _ = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(stale, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        close(stale)  // bound, never listened: a leftover file nobody answers on
        #expect(FileManager.default.fileExists(atPath: path))
        try ControlEndpoint.removeStaleSocket(at: path)
        #expect(!FileManager.default.fileExists(atPath: path))
        directory.remove()
    }

    @Test func theInterfaceFileParsesWithThePythonVarlinkPackage() throws {
        let script = """
            import sys, varlink
            interface = varlink.Interface(sys.stdin.read())
            print(interface.name, len([m for m in interface.members.values() if isinstance(m, varlink.scanner._Method)]))
            """
        let result = try InteropPython.run(script, input: VarlinkInterfaceFile.keyrotd.contents)
        #expect(result.status == 0, "\(InteropPython.executable): \(result.standardError)")
        // Python's parser finds every method the file declares.
        let declared = VarlinkInterfaceFile.keyrotd.contents.split(separator: "\n").filter { $0.hasPrefix("method ") }
        #expect(declared.count >= 16)
        #expect(result.standardOutput == "io.keyrotd \(declared.count)\n")
    }
}
