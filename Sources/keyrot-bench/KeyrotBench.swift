import ArgumentParser
import Foundation
import KeyrotControl
import KeyrotCore
import KeyrotDaemon
import Logging

/// `keyrot-bench [throughput]`: measures keyrotd's in-process sign and verify beside jwt-kit's on the same claims,
/// and `Sign` round trips over the control socket with one and with many concurrent clients. Run it as
/// `Benchmarks/run` (release builds); it prints a Markdown table for BENCHMARKS.md.
struct KeyrotBench: AsyncParsableCommand, TimedRounds {
    static let configuration = CommandConfiguration(
        commandName: "throughput",
        abstract: "In-process sign and verify beside jwt-kit, and Sign over the control socket (the default)."
    )

    @Option(help: "Seconds per measurement.") var seconds: Double = 1
    @Option(help: "Rounds per measurement; the median is reported.") var rounds: Int = 5
    @Option(help: "The jwtkit-bench executable (Benchmarks/JWTKitPeer), run in the same session.") var peer: String?
    @Option(parsing: .upToNextOption, help: "Concurrent socket clients to measure.") var clients: [Int] = [1, 64]

    func run() async throws {
        let directory = FileManager.default.temporaryDirectory.appending(path: "keyrot-bench-\(getpid())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let configuration = directory.appending(path: "keyrotd.toml").path(percentEncoded: false)
        try "[workspace.acme]\nrotate_every = \"30d\"\ntoken_ttl = \"1h\"\n"
            .write(toFile: configuration, atomically: true, encoding: .utf8)
        let socket = directory.appending(path: "control.sock").path(percentEncoded: false)
        let daemon = try Daemon(
            options: DaemonOptions(
                development: true,
                stateDirectory: directory.appending(path: "state").path(percentEncoded: false),
                configurationFile: configuration,
                socketPath: socket,
                environment: [:],
                journal: .off
            ),
            clock: SystemWallClock(),
            logger: Logger(label: "keyrot-bench") { _ in SwiftLogNoOpLogHandler() }
        )
        let acme = try WorkspaceName("acme")
        let clock = SystemWallClock()
        let request = TokenRequest(userID: "user-42")

        var rows: [[String]] = []
        let sign = try median { try rate { _ = try daemon.tokens.sign(request, for: acme, at: clock.now()) } }
        let token = try daemon.tokens.sign(request, for: acme, at: clock.now()).token
        let verify = try median { try rate { _ = try daemon.tokens.verify(token, for: acme, at: clock.now()) } }
        let jwtKit = try peerRates()
        rows.append([
            "sign, in-process", "\(Int(sign)) ops/s", jwtKit.map { "\(Int($0.sign)) ops/s" } ?? "-",
            jwtKit.map { String(format: "%.2f×", sign / $0.sign) } ?? "-",
        ])
        rows.append([
            "verify, in-process", "\(Int(verify)) ops/s", jwtKit.map { "\(Int($0.verify)) ops/s" } ?? "-",
            jwtKit.map { String(format: "%.2f×", verify / $0.verify) } ?? "-",
        ])

        let (listening, signal) = AsyncStream<Void>.makeStream()
        let services = daemon.services(onListening: { signal.yield() })
        let running = Task {
            try await withThrowingDiscardingTaskGroup { group in
                for service in services { group.addTask { try await service.run() } }
            }
        }
        var iterator = listening.makeAsyncIterator()
        _ = await iterator.next()
        let signCall =
            Array(
                #"{"method":"io.keyrotd.Sign","parameters":{"workspace":"acme","user_id":"user-42"}}"#.utf8
            ) + [0]
        // The floors, with a reply as long as keyrotd's.
        let sample = try await ControlClient.withConnection(to: socket) { client in
            try await client.send("io.keyrotd.Sign", KeyrotAPI.SignParameters(workspace: "acme", user_id: "user-42"))
        }
        let echoReply = Array(sample) + [0]
        var pingPong: [LatencySummary] = []
        for _ in 0..<rounds {
            let latencies = try SocketFloor.pingPong(seconds: seconds, request: signCall.count, reply: echoReply.count)
            pingPong.append(LatencySummary(latencies.map { .nanoseconds($0) }, elapsed: .seconds(seconds)))
        }
        rows.append([
            "UNIX-socket ping-pong floor, 1 connection (two blocking threads)", Self.median(pingPong), "-", "-",
        ])
        let echoPath = directory.appending(path: "echo.sock").path(percentEncoded: false)
        let echo = try await SocketFloor.echoServer(path: echoPath, reply: echoReply)
        for count in clients {
            let plural = count == 1 ? "" : "s"
            var floor: [LatencySummary] = []
            var lean: [LatencySummary] = []
            var async: [LatencySummary] = []
            for _ in 0..<rounds {
                floor.append(try await leanRound(clients: count, path: echoPath, request: signCall))
                lean.append(try await leanRound(clients: count, path: socket, request: signCall))
                async.append(try await socketSign(clients: count, path: socket))
            }
            let floorRate = floor.sorted { $0.rate < $1.rate }[floor.count / 2].rate
            let leanRate = lean.sorted { $0.rate < $1.rate }[lean.count / 2].rate
            rows.append(["NIO echo floor, \(count) client\(plural), event-loop client", Self.median(floor), "-", "-"])
            rows.append([
                "socket Sign, \(count) client\(plural), event-loop client", Self.median(lean),
                "-", String(format: "%.2f of the NIO echo floor's rate", leanRate / floorRate),
            ])
            rows.append(["socket Sign, \(count) client\(plural), ControlClient (async)", Self.median(async), "-", "-"])
        }
        try await echo.close()
        running.cancel()
        _ = try? await running.value

        print("| measurement | keyrotd | jwt-kit 5 (same claims, same run) | keyrotd / jwt-kit |")
        print("| --- | --- | --- | --- |")
        for row in rows { print("| " + row.joined(separator: " | ") + " |") }
        print(
            "\n\(ProcessInfo.processInfo.activeProcessorCount) cores; \(rounds) rounds of \(seconds) s each, medians."
        )
    }

    /// jwt-kit's medians from the peer executable, or nil without one.
    func peerRates() throws -> (sign: Double, verify: Double)? {
        guard let peer else { return nil }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: peer)
        process.arguments = ["\(seconds)", "\(rounds)"]
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        struct Round: Decodable {
            var sign: Double
            var verify: Double
        }
        let lines = String(decoding: data, as: UTF8.self).split(separator: "\n")
        let rounds = try lines.map { try JSONDecoder().decode(Round.self, from: Data($0.utf8)) }
        guard !rounds.isEmpty else { return nil }
        return (rounds.map(\.sign).sorted()[rounds.count / 2], rounds.map(\.verify).sorted()[rounds.count / 2])
    }

    /// One round of `clients` event-loop clients calling `path` back to back.
    func leanRound(clients: Int, path: String, request: [UInt8]) async throws -> LatencySummary {
        let start = ContinuousClock.now
        let latencies = try await EventLoopSignClients.run(
            clients: clients,
            path: path,
            seconds: seconds,
            request: request
        )
        return LatencySummary(latencies.map { .nanoseconds($0) }, elapsed: ContinuousClock.now - start)
    }

    /// The round with the median rate, as a table cell.
    static func median(_ results: [LatencySummary]) -> String {
        let result = results.sorted { $0.rate < $1.rate }[results.count / 2]
        return "\(Int(result.rate)) calls/s, p50 \(result.p50.microseconds) µs, p99 \(result.p99.microseconds) µs"
    }

    /// `Sign` round trips with `clients` connections calling back to back for ``seconds``.
    func socketSign(clients: Int, path: String) async throws -> LatencySummary {
        let parameters = KeyrotAPI.SignParameters(workspace: "acme", user_id: "user-42")
        let duration = Duration.seconds(seconds)
        let clock = ContinuousClock()
        let start = clock.now
        let latencies = try await withThrowingTaskGroup(of: [Duration].self) { group in
            for _ in 0..<clients {
                group.addTask {
                    try await ControlClient.withConnection(to: path) { client in
                        var measured: [Duration] = []
                        while clock.now - start < duration {
                            let begin = clock.now
                            _ = try await client.call(
                                "io.keyrotd.Sign",
                                parameters,
                                returning: KeyrotAPI.SignResult.self
                            )
                            measured.append(clock.now - begin)
                        }
                        return measured
                    }
                }
            }
            var all: [Duration] = []
            for try await measured in group { all += measured }
            return all.sorted()
        }
        return LatencySummary(latencies, elapsed: clock.now - start)
    }
}

extension Duration {
    var inSeconds: Double {
        Double(components.seconds) + Double(components.attoseconds) / 1e18
    }
}
