import Foundation
import KeyrotTestSupport
import Testing

/// `provider = "hook:/path"` with the example hook of `Examples/hooks/`: rotations go through the executable, exit
/// 75 is retried, and secrets never travel in its arguments or environment.
@Suite(.serialized) struct ProviderHookTests {
    /// Runs the example hook and records how it was called (its arguments and environment, which must hold no
    /// secret), and every secret it made (for the leak sweep).
    static let wrapper = """
        #!/usr/bin/python3
        import base64, json, os, subprocess, sys
        here = os.path.dirname(os.path.abspath(__file__))
        with open(os.path.join(here, "invocations.log"), "a") as log:
            log.write(json.dumps({"argv": sys.argv[1:], "environ": dict(os.environ)}) + "\\n")
        result = subprocess.run([os.path.join(here, "json-file-hook")] + sys.argv[1:], stdin=sys.stdin, capture_output=True)
        if result.returncode == 0 and sys.argv[1:] == ["create"] and os.path.exists(os.path.join(here, "short")):
            # A verifier that makes secrets too short for HS256: keyrotd must refuse them.
            answer = json.loads(result.stdout)
            answer["secret"] = answer["secret"][:16]
            result = subprocess.CompletedProcess(result.args, 0, json.dumps(answer).encode(), result.stderr)
        if result.returncode == 0 and sys.argv[1:] == ["create"]:
            with open(os.path.join(here, "..", "known-secrets"), "a") as known:
                known.write(base64.b64encode(json.loads(result.stdout)["secret"].encode()).decode() + "\\n")
        sys.stdout.buffer.write(result.stdout)
        sys.stderr.buffer.write(result.stderr)
        sys.exit(result.returncode)
        """

    @Test func rotationsGoThroughTheHook() async throws {
        let daemon = try await ProviderDaemon { _, directory in
            // The hook must be in place before keyrotd (and its agent) start.
            let hooks = directory.path("hooks")
            try? FileManager.default.createDirectory(atPath: hooks, withIntermediateDirectories: true)
            try? FileManager.default.copyItem(
                atPath: Repository.path("Examples/hooks/json-file-hook"),
                toPath: directory.path("hooks/json-file-hook")
            )
            try? Self.wrapper.write(toFile: directory.path("hooks/hook"), atomically: true, encoding: .utf8)
            chmod(directory.path("hooks/hook"), 0o755)
            return """
                [workspace.acme]
                rotate_every = "2s"
                grace = "1s"
                token_ttl = "1s"
                clock_skew = "0s"
                provider = "hook:\(directory.path("hooks/hook"))"
                """
        }
        let first = try await ProviderRotationTests().waitForSignature(daemon)
        #expect(first.keyID.hasPrefix("acme."), "\(first.keyID)")  // (acme.1 unless a slow build saw rotations first)
        let rotated = try await eventuallyAsync(timeout: Sanitizer.limit(30)) {
            let events = try await daemon.events()
            return events.filter { $0 == "rotated" }.count >= 2 && events.contains("provider_secret_deleted")
        }
        #expect(rotated)

        // The hook's store holds exactly the keys keyrotd verifies with, and their material is what keyrotd signs
        // with: a token verifies against the stored secret of its key.
        struct Store: Decodable {
            struct Entry: Decodable {
                var name: String
                var secret: String
            }
            var secrets: [String: Entry]
        }
        let storePath = daemon.directory.path("hooks/secrets-acme.json")
        let matches = try await eventuallyAsync(timeout: Sanitizer.limit(10)) {
            let store = try JSONDecoder().decode(Store.self, from: Data(contentsOf: URL(fileURLWithPath: storePath)))
            let verifying = Set(try await daemon.keys().filter(\.verifies).map { "keyrotd acme \($0.key_id)" })
            return Set(store.secrets.values.map(\.name)) == verifying
        }
        #expect(matches)

        // Exit 75: tried again later; the status line says why meanwhile.
        #expect(FileManager.default.createFile(atPath: daemon.directory.path("hooks/tempfail"), contents: Data()))
        #expect(try await daemon.ctl(["rotate", "acme"]).status == 0)
        let retried = try await eventuallyAsync(timeout: Sanitizer.limit(20)) {
            !FileManager.default.fileExists(atPath: daemon.directory.path("hooks/tempfail"))
                && daemon.logs.contains("asked to try again later (exit 75)")
        }
        #expect(retried, "\(daemon.logs)")

        // A secret keyrotd refuses (too short for HS256) is deleted at the verifier, and the job backs off rather
        // than making and deleting secrets in a loop.
        #expect(FileManager.default.createFile(atPath: daemon.directory.path("hooks/short"), contents: Data()))
        let creations = {
            try String(contentsOfFile: daemon.directory.path("hooks/invocations.log"), encoding: .utf8)
                .components(separatedBy: #""argv": ["create"]"#).count
        }
        let creationsBefore = try creations()
        #expect(try await daemon.ctl(["rotate", "acme"]).status == 0)
        // The first refused creation comes when the job's backoff from the exit 75 above allows (later, sanitized);
        // after it, backing off means a handful more in 4 s, not a loop.
        #expect(try await eventuallyAsync(timeout: Sanitizer.limit(20)) { try creations() > creationsBefore })
        let firstRefused = try creations()
        try await Task.sleep(for: .seconds(4))
        let more = try creations() - firstRefused
        #expect((0...4).contains(more), "\(more) more creations in the 4 s after the first refused one")
        let refused = try await daemon.ctl(["provider", "status", "acme"])
        #expect(refused.standardOutput.contains("keyrotd refused the new secret"), "\(refused.standardOutput)")
        try FileManager.default.removeItem(atPath: daemon.directory.path("hooks/short"))

        // Only the command in argv, only PATH and LANG in the environment: no secret, no token.
        let invocations = try String(contentsOfFile: daemon.directory.path("hooks/invocations.log"), encoding: .utf8)
        struct Invocation: Decodable {
            var argv: [String]
            var environ: [String: String]
        }
        let calls = try invocations.split(separator: "\n").map {
            try JSONDecoder().decode(Invocation.self, from: Data($0.utf8))
        }
        #expect(calls.count >= 4)
        for call in calls {
            #expect(call.argv.count == 1 && ["create", "delete", "list"].contains(call.argv[0]), "\(call.argv)")
            #expect(Set(call.environ.keys).subtracting(["PATH", "LANG", "LC_CTYPE"]).isEmpty, "\(call.environ.keys)")
        }
        try await daemon.stop(deleting: ["hooks/secrets-acme.json"])
    }
}
