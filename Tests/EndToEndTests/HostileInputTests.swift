import Foundation
import KeyrotTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The built `keyrotd` under attack on its control socket: malformed, oversized, deeply nested and
/// out-of-range input, floods of abandoned connections, half-sent messages. Whatever arrives, the process stays
/// up, its memory and descriptors stay bounded, and other clients keep being served.
@Suite(.serialized) struct HostileInputTests {
    static let configuration = "[workspace.acme]\nsigners = [\"uid:65534\"]\n"

    /// The error names a reply may carry: the interface file's, and `org.varlink.service`'s.
    static let errorNames: Set<String> = {
        let interface =
            (try? String(contentsOfFile: Repository.path("Sources/KeyrotControl/io.keyrotd.varlink"), encoding: .utf8))
            ?? ""
        let declared = interface.split(separator: "\n").filter { $0.hasPrefix("error ") }.map {
            "io.keyrotd." + $0.dropFirst("error ".count).prefix { $0.isLetter }
        }
        let service = ["MethodNotFound", "InterfaceNotFound", "InvalidParameter", "MethodNotImplemented"]
        return Set(declared + service.map { "org.varlink.service." + $0 })
    }()

    /// What one hostile message must get: a reply, an error the interface names, or the invalid-request error
    /// and a closed connection.
    enum Outcome: Equatable, CustomStringConvertible {
        case reply
        case error(String)
        case refusedAndClosed

        var description: String {
            switch self {
            case .reply: "a reply"
            case .error(let name): name
            case .refusedAndClosed: "io.keyrotd.InvalidRequest and a close"
            }
        }
    }

    @Test func malformedInputMatrix() async throws {
        let daemon = try await KeyrotctlTests.RunningDaemon(configuration: Self.configuration)
        let before = try Self.residentKiB(of: daemon.process.pid)
        let pad = String(
            repeating: "p",
            count: 65536 - #"{"method":"io.keyrotd.Status","parameters":{"pad":""}}"#.count
        )
        let sign = #"{"method":"io.keyrotd.Sign","parameters":{"workspace":"acme","user_id":"#
        var cases: [(String, [UInt8], Outcome)] = [
            ("exactly 64 KiB", Array(#"{"method":"io.keyrotd.Status","parameters":{"pad":"\#(pad)"}}"#.utf8), .reply),
            (
                "64 KiB and a byte", Array(#"{"method":"io.keyrotd.Status","parameters":{"pad":"\#(pad)p"}}"#.utf8),
                .refusedAndClosed
            ),
            ("1 MiB", [UInt8](repeating: UInt8(ascii: "["), count: 1 << 20), .refusedAndClosed),
            ("50 000 [", Array(repeating: UInt8(ascii: "["), count: 50_000), .refusedAndClosed),
            (
                "30 000 [ in claims", Self.nested(sign + #""u","claims":{"a":"#, "[", "]", 30_000, "}}}"),
                .refusedAndClosed
            ),
            ("10 000 {", Self.nested(sign + #""u","claims":"#, #"{"a":"#, "}", 10_000, "}}"), .refusedAndClosed),
            (
                "500 [ in claims", Self.nested(sign + #""u","claims":{"a":"#, "[", "]", 500, "}}}"),
                .error(Self.invalidParameter)
            ),
            ("NUL in a string", Array((sign + #""u\u0000v"}}"#).utf8), .reply),
            (
                "NUL in the workspace",
                Array(#"{"method":"io.keyrotd.Sign","parameters":{"workspace":"acme\u0000","user_id":"u"}}"#.utf8),
                .error("io.keyrotd.WorkspaceNotFound")
            ),
            ("raw NUL mid-string", Array((sign + "\"u").utf8) + [0], .refusedAndClosed),
            ("lone surrogate", Array((sign + #""\ud800"}}"#).utf8), .error(Self.invalidParameter)),
        ]
        for (name, bytes) in Self.invalidUTF8 {
            cases.append(
                (
                    "\(name) in a string", Array(sign.utf8) + [UInt8(ascii: "\"")] + bytes + Array("\"}}".utf8),
                    .error(Self.invalidParameter)
                )
            )
        }
        for (number, asClaim) in Self.hugeNumbers {
            cases += [
                ("claim \(number)", Array((sign + #""u","claims":{"n":\#(number)}}}"#).utf8), asClaim),
                ("ttl \(number)", Array((sign + #""u","ttl":\#(number)}}"#).utf8), .error(Self.invalidParameter)),
                (
                    "ttl \"\(number)s\"", Array((sign + #""u","ttl":"\#(number)s"}}"#).utf8),
                    .error(Self.invalidArgument)
                ),
                (
                    "emergency \(number)",
                    Array(
                        #"{"method":"io.keyrotd.Rotate","parameters":{"workspace":"acme","emergency":\#(number)}}"#.utf8
                    ),
                    .error(Self.invalidParameter)
                ),
                (
                    "oneway \(number)", Array(#"{"method":"io.keyrotd.Status","oneway":\#(number)}"#.utf8),
                    .refusedAndClosed
                ),
            ]
        }
        for (number, outcome) in Self.limits {
            let history = #"{"method":"io.keyrotd.History","parameters":{"limit":\#(number)}}"#
            cases.append(("limit \(number)", Array(history.utf8), outcome))
        }
        var failures: [String] = []
        for (name, message, expected) in cases {
            let got = try await Self.send(message, to: daemon.socket)
            if got != expected { failures.append("\(name): expected \(expected), got \(got)") }
            guard daemon.process.isRunning else {
                Issue.record("keyrotd died on \(name); log: \(daemon.process.log)")
                return
            }
        }
        #expect(failures.isEmpty, "\(failures.joined(separator: "\n"))")
        try await Self.expectUnharmed(daemon, residentBefore: before)
    }

    @Test func abandonedConnectionFlood() async throws {
        let daemon = try await KeyrotctlTests.RunningDaemon(configuration: Self.configuration)
        chmod(daemon.socket, 0o666)  // the bystander is uid 65534, which the attacker's per-uid limit does not bind
        // Warm up first, so the database connections the first calls open count among the descriptors before.
        #expect(try await Self.status(daemon.socket))
        #expect(try daemon.asNobody(["sign", "acme", "--user-id", "warm-up"]).status == 0)
        let pid = daemon.process.pid
        let descriptors = try Self.openDescriptors(of: pid)
        let before = try Self.residentKiB(of: pid)
        // Waves of 200 (under the 256-connection limit, so a bystander always finds a slot; over the 64 of one uid):
        // some connect only, some send half a message, some garbage; then all go without reading a reply.
        for wave in 0..<10 {
            var sockets: [RawSocket] = []
            for index in 0..<200 {
                let socket = try RawSocket(path: daemon.socket)
                // Connections past the uid's limit are refused and closed at once, so a write may find them gone.
                switch index % 3 {
                case 0: try? await socket.send(Array(#"{"method":"io.keyrotd.Sig"#.utf8))
                case 1: try? await socket.send(Array("garbage".utf8) + [0])
                default: break
                }
                sockets.append(socket)
            }
            if wave % 3 == 0 {
                let sign = try daemon.asNobody(["sign", "acme", "--user-id", "bystander"])
                #expect(sign.status == 0, "bystander during wave \(wave): \(sign.standardError)")
            }
            sockets.removeAll()
            let settled = try await DaemonProcess.eventually(timeout: 10) {
                try Self.openDescriptors(of: pid) <= descriptors + 16
            }
            let now = (try? Self.openDescriptors(of: pid)) ?? -1
            #expect(settled, "wave \(wave): \(now) descriptors open, \(descriptors) before")
            guard daemon.process.isRunning else {
                Issue.record("keyrotd died in wave \(wave); log: \(daemon.process.log)")
                return
            }
        }
        let sign = try daemon.ctl(["sign", "acme", "--user-id", "after"])
        #expect(sign.status == 0, "\(sign.standardError)")
        try await Self.expectUnharmed(daemon, residentBefore: before)
    }

    @Test func mutatedCallsFuzz() async throws {
        try await Self.mutatedCallsFuzz(configuration: Self.configuration)
    }

    /// Mutations of well-formed calls, many of which reach the store (new workspaces with extreme policies,
    /// revocations, histories), against a daemon with `configuration`: every reply is one the interface names, a
    /// changed token never verifies, and the daemon stays up and bounded.
    static func mutatedCallsFuzz(configuration: String) async throws {
        let daemon = try await KeyrotctlTests.RunningDaemon(configuration: configuration)
        let before = try Self.residentKiB(of: daemon.process.pid)
        let token = try daemon.ctl(["sign", "acme", "--user-id", "u"]).standardOutput
            .trimmingCharacters(in: .whitespacesAndNewlines)
        let calls = [
            #"{"method":"io.keyrotd.Sign","parameters":{"workspace":"acme","user_id":"u","ttl":"5min","claims":{"n":1}}}"#,
            #"{"method":"io.keyrotd.Verify","parameters":{"workspace":"acme","token":"\#(token)"}}"#,
            #"{"method":"io.keyrotd.History","parameters":{"workspace":"acme","limit":5}}"#,
            #"{"method":"io.keyrotd.GetWorkspace","parameters":{"name":"acme"}}"#,
            #"{"method":"io.keyrotd.CreateWorkspace","parameters":{"name":"w","policy":{"rotate_every":"30d","max_token_ttl":"9223372036854775807s"}}}"#,
            #"{"method":"io.keyrotd.Revoke","parameters":{"workspace":"w","key_id":"w.1"}}"#,
            #"{"method":"io.keyrotd.Status"}"#, #"{"method":"io.keyrotd.ListKeys","parameters":{"workspace":"acme"}}"#,
        ]
        let mutator = ByteMutator(corpus: calls.map { Array($0.utf8) }, maximumLength: 8192)
        var connection: RawSocket?
        // The work is the daemon's, in its own process: no need to wait for the in-process campaigns.
        let campaign = FuzzCampaign("keyrotd calls", defaultSeconds: 1, minimumCases: 20, takesTurns: false)
        let report = await campaign.run { generator in
            var message = mutator.mutate(Array(calls.randomElement(using: &generator)!.utf8), using: &generator)
            message.removeAll { $0 == 0 }
            let socket = try connection ?? RawSocket(path: daemon.socket)
            connection = socket
            try await socket.send(message + [0])
            if message.firstRange(of: Array("oneway".utf8)) != nil {  // maybe no reply: not worth the wait
                connection = nil
                return
            }
            guard let reply = try await socket.receive() else {
                connection = nil  // so one violation does not break the cases after it
                throw FuzzViolation("closed without a reply", input: message)
            }
            let object = try? JSONSerialization.jsonObject(with: Data(reply.utf8)) as? [String: Any]
            let parameters = object?["parameters"] as? [String: Any]
            if let error = object?["error"] as? String {
                guard Self.errorNames.contains(error) else { throw FuzzViolation("replied \(reply)", input: message) }
                if error == Self.invalidRequest { connection = nil }
            } else if let reason = parameters?["reason"] as? String, !Self.rejections.contains(reason) {
                throw FuzzViolation("an unnamed rejection: \(reply)", input: message)
            } else if parameters?["valid"] as? Bool == true, Self.token(in: message).map({ $0 != token }) ?? false {
                throw FuzzViolation("a changed token verified", input: message)
            } else if parameters == nil {
                throw FuzzViolation("replied \(reply)", input: message)
            }
            guard daemon.process.isRunning else { throw FuzzViolation("keyrotd died", input: message) }
        }
        #expect(report.violations.isEmpty, "\(report); log: \(daemon.process.log.suffix(2000))")
        try await Self.expectUnharmed(daemon, residentBefore: before)
    }

    @Test func halfSentMessagesHeldOpen() async throws {
        let daemon = try await KeyrotctlTests.RunningDaemon(configuration: Self.configuration)
        let before = try Self.residentKiB(of: daemon.process.pid)
        var held: [RawSocket] = []
        for index in 0..<40 {
            let socket = try RawSocket(path: daemon.socket)
            let part = #"{"method":"io.keyrotd.Sign","parameters":{"workspace":"acme","user_id":"held-\#(index)"#
            try await socket.send(Array(part.utf8.prefix(1 + index * 2)))
            held.append(socket)
        }
        let started = Date()
        for _ in 0..<10 { #expect(try await Self.status(daemon.socket)) }
        let sign = try daemon.ctl(["sign", "acme", "--user-id", "u"])
        #expect(sign.status == 0, "\(sign.standardError)")
        #expect(Date().timeIntervalSince(started) < 5, "served slowly beside the held connections")
        // The held messages still complete and get their answers.
        for (index, socket) in held.enumerated().prefix(3) {
            let part = #"{"method":"io.keyrotd.Sign","parameters":{"workspace":"acme","user_id":"held-\#(index)"#
            try await socket.send(Array(part.utf8.dropFirst(1 + index * 2)) + Array(#""}}"#.utf8) + [0])
            #expect(try await socket.receive()?.contains(#""token":"eyJ"#) == true)
        }
        held.removeAll()
        try await Self.expectUnharmed(daemon, residentBefore: before)
    }

    /// The `token` parameter of a call, as the standard JSON reader reads it.
    static func token(in message: [UInt8]) -> String? {
        let call = try? JSONSerialization.jsonObject(with: Data(message)) as? [String: Any]
        return (call?["parameters"] as? [String: Any])?["token"] as? String
    }

    /// The reasons a `Verify` reply may give for an invalid token.
    static let rejections: Set<String> = [
        "malformed", "unsupported_algorithm", "unknown_key", "revoked_key", "retired_key", "bad_signature", "expired",
        "not_yet_valid", "missing_user_id", "too_large",
    ]

    static let invalidParameter = "org.varlink.service.InvalidParameter"
    static let invalidRequest = "io.keyrotd.InvalidRequest"
    static let invalidArgument = "io.keyrotd.InvalidArgument"

    /// Numbers no machine type holds exactly, and what a claim of each gets: beyond a double's range (either way)
    /// is no number at all; the others are signed as the nearest double.
    static let hugeNumbers: [(String, Outcome)] = [
        ("1e400", .error(invalidParameter)), ("-1e400", .error(invalidParameter)), ("1e-400", .error(invalidParameter)),
        ("18446744073709551616", .reply), ("-0", .reply), ("-9223372036854775809", .reply),
    ]

    /// The same numbers as `History`'s `limit` (an int): out of an int's range is an invalid parameter; `-0` and
    /// `1e-400` read as 0, and a limit under 1 means 1.
    static let limits: [(String, Outcome)] = [
        ("1e400", .error(invalidParameter)), ("-1e400", .error(invalidParameter)), ("1e-400", .reply),
        ("18446744073709551616", .error(invalidParameter)), ("-0", .reply),
        ("-9223372036854775809", .error(invalidParameter)),
    ]

    static let invalidUTF8: [(String, [UInt8])] = [
        ("0xFF", [0xFF]), ("a lone continuation byte", [0x80]), ("an overlong NUL", [0xC0, 0x80]),
        ("a UTF-8 surrogate", [0xED, 0xA0, 0x80]), ("a code point over U+10FFFF", [0xF4, 0x90, 0x80, 0x80]),
        ("a cut sequence", [0xE2, 0x82]),
    ]

    /// `prefix`, `opener` `depth` times, `closer` as often, then `suffix`.
    static func nested(_ prefix: String, _ opener: String, _ closer: String, _ depth: Int, _ suffix: String) -> [UInt8]
    {
        Array(
            (prefix + String(repeating: opener, count: depth) + "1" + String(repeating: closer, count: depth) + suffix)
                .utf8
        )
    }

    /// Sends one message (and its NUL) on a fresh connection and says what came of it.
    static func send(_ message: [UInt8], to path: String) async throws -> Outcome {
        let socket = try RawSocket(path: path)
        try? await socket.send(message + [0])  // a refused peer may be cut off mid-send
        guard let reply = try await socket.receive() else { return .error("closed without a reply") }
        guard let object = try? JSONSerialization.jsonObject(with: Data(reply.utf8)) as? [String: Any] else {
            return .error("not JSON: \(reply.prefix(200))")
        }
        guard let error = object["error"] as? String else { return .reply }
        guard errorNames.contains(error) else { return .error("unnamed error \(reply.prefix(200))") }
        guard error == invalidRequest else { return .error(error) }
        // Closed, or still serving: a second call tells at once (waiting for end of stream would take the timeout).
        try? await socket.send(message: #"{"method":"io.keyrotd.Status"}"#)
        return (try? await socket.receive()) == nil ? .refusedAndClosed : .error(error)
    }

    /// Expects the daemon to have come through: running, answering `Status` on a fresh connection, its resident set
    /// less than 64 MiB over `before` (KiB); then stops it, which must be clean.
    ///
    /// Under AddressSanitizer freed memory sits in its quarantine (256 MiB by default) before it is reused, so the
    /// resident set of a sanitized daemon grows by what it freed too: there the bound is the quarantine's size
    /// more, and LeakSanitizer's check at exit says whether anything was kept.
    static func expectUnharmed(_ daemon: KeyrotctlTests.RunningDaemon, residentBefore before: Int) async throws {
        #expect(daemon.process.isRunning, "log: \(daemon.process.log.suffix(2000))")
        #expect(try await status(daemon.socket))
        let after = try residentKiB(of: daemon.process.pid)
        let boundKiB = (Sanitizer.active == "address" ? 256 + 64 : 64) * 1024
        #expect(after - before < boundKiB, "VmRSS grew from \(before) KiB to \(after) KiB")
        try await daemon.stop()
    }

    /// Whether a fresh connection gets an answer to `io.keyrotd.Status`.
    static func status(_ path: String) async throws -> Bool {
        if case .reply = try await send(Array(#"{"method":"io.keyrotd.Status"}"#.utf8), to: path) { return true }
        return false
    }

    /// The process's resident set, from `/proc/PID/status`.
    static func residentKiB(of pid: Int32) throws -> Int {
        let status = try String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)
        let line = status.split(separator: "\n").first { $0.hasPrefix("VmRSS:") } ?? ""
        return Int(line.split(separator: " ").dropFirst().first ?? "") ?? 0
    }

    static func openDescriptors(of pid: Int32) throws -> Int {
        try FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd").count
    }
}
