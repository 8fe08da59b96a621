import Foundation
import KeyrotTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// keyrotctl against a running keyrotd, as an operator and a backend would use them.
@Suite(.serialized) struct KeyrotctlTests {
    static let secret = "intercom-identity-verification-secret-0123456789"

    /// A dev daemon in a fresh directory with workspace `acme`, its socket at `socket`.
    final class RunningDaemon {
        let directory: TemporaryDirectory
        let process: DaemonProcess
        var socket: String { directory.path("sock/control.sock") }

        init(configuration: String = "[workspace.acme]\nrotate_every = \"1h\"\ngrace = \"10min\"\n") async throws {
            directory = try TemporaryDirectory()
            try configuration.write(toFile: directory.path("keyrotd.toml"), atomically: true, encoding: .utf8)
            try FileManager.default.createDirectory(
                atPath: directory.path("sock"),
                withIntermediateDirectories: true,
                attributes: [.posixPermissions: 0o755]
            )
            process = try DaemonProcess(
                arguments: [
                    "--dev", "--state-dir", directory.path("state"), "--config", directory.path("keyrotd.toml"),
                    "--socket", directory.path("sock/control.sock"),
                ],
                logFile: directory.path("log")
            )
            let socket = directory.path("sock/control.sock")
            // Up once it answers and has its final mode (the daemon sets 0660 just after it starts listening, so a
            // test's own chmod before that would be undone).
            let up = try await DaemonProcess.eventually(timeout: 20) {
                let mode = (try? FileManager.default.attributesOfItem(atPath: socket)[.posixPermissions]) as? Int
                return mode == 0o660 && (try? RawSocket(path: socket)) != nil
            }
            guard up else { throw RawSocketError.failed("daemon did not start: \(process.log)", 0) }
        }

        func ctl(_ arguments: [String], input: String = "") throws -> ProcessResult {
            try ProcessResult.run(DaemonProcess.builtControlBinary, ["--socket", socket] + arguments, input: input)
        }

        /// ``ctl(_:input:)`` without holding a cooperative thread while keyrotctl runs.
        func ctlOffPool(_ arguments: [String], input: String = "") async throws -> ProcessResult {
            try await ProcessResult.runOffPool(
                DaemonProcess.builtControlBinary,
                ["--socket", socket] + arguments,
                input: input
            )
        }

        /// ``asNobody(_:)`` without holding a cooperative thread while keyrotctl runs.
        func asNobodyOffPool(_ arguments: [String]) async throws -> ProcessResult {
            try await ProcessResult.runOffPool(
                "setpriv",
                [
                    "--reuid=65534", "--regid=65534", "--clear-groups", DaemonProcess.builtControlBinary, "--socket",
                    socket,
                ]
                    + arguments
            )
        }

        /// keyrotctl run as uid and gid 65534 (nobody), without supplementary groups.
        func asNobody(_ arguments: [String]) throws -> ProcessResult {
            try ProcessResult.run(
                "setpriv",
                [
                    "--reuid=65534", "--regid=65534", "--clear-groups", DaemonProcess.builtControlBinary, "--socket",
                    socket,
                ]
                    + arguments
            )
        }

        func stop() async throws {
            process.send(SIGTERM)
            #expect(try await process.waitForExit(timeout: Sanitizer.limit(2)) == 0, "log: \(process.log)")
            directory.remove()
        }
    }

    func python(_ script: String, _ input: String = "") throws -> String {
        let result = try InteropPython.run(script, input: input)
        #expect(result.status == 0, "\(InteropPython.executable): \(result.standardError)")
        return result.standardOutput.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    @Test func anImportedSecretSignsTokensPyJWTVerifiesAndTheOtherWayRound() async throws {
        let daemon = try await RunningDaemon()
        let imported = try daemon.ctl(["key", "import", "acme", "--activate"], input: Self.secret + "\n")
        #expect(imported.status == 0, "\(imported.standardError)")
        #expect(imported.standardOutput.contains("acme.2") && imported.standardOutput.contains("active"))

        let signed = try daemon.ctl([
            "sign", "acme", "--user-id", "user-42", "--ttl", "15min", "--claim", "plan=pro", "--claim", "zip=01234",
            "--claim", "seats=3",
        ])
        #expect(signed.status == 0, "\(signed.standardError)")
        let token = signed.standardOutput.trimmingCharacters(in: .whitespacesAndNewlines)
        let claims = try python(
            """
            import sys, jwt
            secret, token = sys.stdin.read().split()
            claims = jwt.decode(token, secret.encode(), algorithms=["HS256"])
            print(claims["user_id"], claims["plan"], claims["exp"] - claims["iat"], repr(claims["zip"]), repr(claims["seats"]))
            """,
            Self.secret + " " + token
        )
        #expect(claims == "user-42 pro 900 '01234' 3")

        let pyToken = try python(
            """
            import sys, time, jwt
            print(jwt.encode({"user_id": "py-1", "exp": int(time.time()) + 300}, sys.stdin.read().encode(), algorithm="HS256"))
            """,
            Self.secret
        )
        let verified = try daemon.ctl(["verify", "acme", pyToken, "--explain"])
        #expect(verified.status == 0, "\(verified.standardError)")
        #expect(verified.standardOutput.contains("signed by acme.2 for user py-1"))
        // The token also comes in on standard input.
        #expect(try daemon.ctl(["verify", "acme", "-"], input: pyToken + "\n").status == 0)
        try await daemon.stop()
    }

    @Test func oldTokensSurviveAScheduledRotationButNotAnEmergencyOne() async throws {
        let daemon = try await RunningDaemon()
        let token = try daemon.ctl(["sign", "acme", "--user-id", "u"]).standardOutput
            .trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(try daemon.ctl(["rotate", "acme", "--reason", "routine"]).status == 0)
        let duringGrace = try daemon.ctl(["verify", "acme", token, "--explain"])
        #expect(duringGrace.status == 0 && duringGrace.standardOutput.contains("signed by acme.1"))

        // The token of the key that is active when the emergency rotation runs fails as revoked at once.
        let beforeEmergency = try daemon.ctl(["sign", "acme", "--user-id", "u"]).standardOutput
            .trimmingCharacters(in: .whitespacesAndNewlines)
        let emergency = try daemon.ctl(["rotate", "acme", "--emergency", "--reason", "leaked in CI logs"])
        #expect(emergency.status == 0 && emergency.standardOutput.contains("emergency_rotated"))
        let revoked = try daemon.ctl(["verify", "acme", beforeEmergency])
        #expect(revoked.status == 1)
        #expect(revoked.standardError.contains("invalid token: revoked_key"))
        let fresh = try daemon.ctl(["sign", "acme", "--user-id", "u"]).standardOutput
            .trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(try daemon.ctl(["verify", "acme", fresh]).status == 0)
        // The grace key still verifies until it is flagged as leaked too.
        #expect(try daemon.ctl(["verify", "acme", token]).status == 0)
        #expect(try daemon.ctl(["flag-leak", "acme", "--key", "acme.1", "--reason", "same leak"]).status == 0)
        #expect(try daemon.ctl(["verify", "acme", token]).standardError.contains("revoked_key"))
        let history = try daemon.ctl(["--json", "history", "acme"])
        #expect(history.standardOutput.contains("\"reason\" : \"leaked in CI logs\""))
        #expect(history.standardOutput.contains("\"actor_uid\" : 0"))
        try await daemon.stop()
    }

    @Test func badTokensFailWithTheirOwnReasons() async throws {
        let daemon = try await RunningDaemon()
        let tokens = try python(
            """
            import sys, time, jwt, base64
            secret = sys.stdin.read().encode()
            now = int(time.time())
            print(jwt.encode({"user_id": "u", "exp": now - 120}, secret, algorithm="HS256"))
            print(jwt.encode({"user_id": "u", "exp": now + 300}, secret * 2, algorithm="HS512"))
            b64 = lambda raw: base64.urlsafe_b64encode(raw).rstrip(b"=").decode()
            print(b64(b'{"alg":"none"}') + "." + b64(('{"user_id":"u","exp":%d}' % (now + 300)).encode()) + ".")
            print(jwt.encode({"exp": now + 300}, secret, algorithm="HS256"))
            print(jwt.encode({"user_id": "u", "exp": now + 300}, b"not the workspace's secret, at all!", algorithm="HS256"))
            """,
            Self.secret
        )
        let lines = tokens.split(separator: "\n").map(String.init)
        try #require(lines.count == 5)
        #expect(try daemon.ctl(["key", "import", "acme", "--activate"], input: Self.secret).status == 0)
        let expected = [
            "expired", "unsupported_algorithm", "unsupported_algorithm", "missing_user_id", "bad_signature",
        ]
        for (token, reason) in zip(lines, expected) {
            let result = try daemon.ctl(["verify", "acme", token])
            #expect(result.status == 1)
            #expect(result.standardError.contains("invalid token: \(reason)"), "\(result.standardError)")
        }
        try await daemon.stop()
    }

    @Test func thePythonVarlinkClientGetsInfoAndASignedToken() async throws {
        let daemon = try await RunningDaemon()
        let output = try python(
            """
            import sys, varlink
            with varlink.Client(address="unix:" + sys.stdin.read()) as client:
                info = client.open("org.varlink.service").GetInfo()
                print(info["product"], ",".join(info["interfaces"]))
                with client.open("io.keyrotd") as keyrotd:
                    signed = keyrotd.Sign(workspace="acme", user_id="py-varlink")
                    checked = keyrotd.Verify(workspace="acme", token=signed["token"])
                    print(signed["key_id"], checked["valid"], checked["user_id"])
                    try:
                        keyrotd.Sign(workspace="nope", user_id="x")
                    except varlink.VarlinkError as error:
                        print(error.error())
            """,
            daemon.socket
        )
        #expect(
            output == "keyrotd org.varlink.service,io.keyrotd\nacme.1 True py-varlink\nio.keyrotd.WorkspaceNotFound"
        )
        try await daemon.stop()
    }

    @Test func garbageOnTheSocketLeavesTheDaemonServing() async throws {
        let daemon = try await RunningDaemon()
        let garbage = try RawSocket(path: daemon.socket)
        try await garbage.send(Array("definitely not json".utf8) + [0])
        #expect(try await garbage.receive()?.contains("io.keyrotd.InvalidRequest") == true)
        let huge = try RawSocket(path: daemon.socket)
        try await huge.send([UInt8](repeating: 0x7B, count: 100_000))
        #expect(try await huge.receive()?.contains("larger than 65536 bytes") == true)
        let halfSent = try RawSocket(path: daemon.socket)
        try await halfSent.send(Array(#"{"method":"io.keyrotd.Sta"#.utf8))
        #expect(try daemon.ctl(["status"]).status == 0)
        #expect(try daemon.ctl(["sign", "acme", "--user-id", "u"]).status == 0)
        try await daemon.stop()
    }

    @Test func aCallerWhoIsNotAdminCannotRotateButASignerMaySign() async throws {
        let daemon = try await RunningDaemon(
            configuration: "[workspace.acme]\nsigners = [\"uid:65534\"]\n\n[workspace.other]\n"
        )
        // The socket accepts connections a moment before keyrotd sets its mode 0660; one answered call means that is
        // done, so the chmod below is not undone (a race a sanitizer's slowdown made visible).
        #expect(try daemon.ctl(["status"]).status == 0)
        chmod(daemon.socket, 0o666)  // let uid 65534 reach the socket; authorization is keyrotd's to do
        let rotate = try daemon.asNobody(["rotate", "acme"])
        #expect(rotate.status == 77, "\(rotate.standardError)")
        #expect(rotate.standardError.contains("permission denied for io.keyrotd.Rotate (uid 65534)"))
        let sign = try daemon.asNobody(["sign", "acme", "--user-id", "u"])
        #expect(sign.status == 0, "\(sign.standardError)")
        #expect(sign.standardOutput.hasPrefix("eyJ"))
        #expect(try daemon.asNobody(["sign", "other", "--user-id", "u"]).status == 77)
        // Whether a workspace exists is for administrators to know.
        let unknown = try daemon.asNobody(["sign", "no-such-workspace", "--user-id", "u"])
        #expect(unknown.status == 77, "\(unknown.standardError)")
        #expect(
            try daemon.ctl(["--json", "history", "acme"]).standardOutput.contains("\"event\" : \"rotated\"") == false
        )
        try await daemon.stop()
    }

    @Test func withoutADaemonKeyrotctlSaysSoAndExits69() throws {
        let result = try ProcessResult.run(
            DaemonProcess.builtControlBinary,
            ["--socket", "/nonexistent/keyrotd.sock", "status"]
        )
        #expect(result.status == 69, "\(result.standardError)")
        #expect(result.standardError.contains("is keyrotd running?"))
    }
}
