import Foundation
import KeyrotTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Intercom's legacy identity verification: `user_hash` is the hex HMAC-SHA256 of the user id under the secret, as
/// Intercom's own server samples compute it (Python's `hmac`, here), whatever algorithm the workspace's tokens use.
@Suite(.serialized) struct UserHashTests {
    static let configuration = """
        [workspace.acme]
        signers = ["uid:65534"]

        [workspace.wide]
        algorithm = "HS384"
        """
    static let secret = "intercom-identity-verification-secret-0123456789"
    static let wideSecret = "a-48-byte-or-longer-secret-for-an-hs384-workspace-0123"

    func python(_ secret: String, _ userID: String) throws -> String {
        let result = try InteropPython.run(
            """
            import hashlib, hmac, sys
            secret, user_id = sys.stdin.read().split(" ", 1)
            print(hmac.new(secret.encode(), user_id.encode(), digestmod=hashlib.sha256).hexdigest())
            """,
            input: secret + " " + userID
        )
        #expect(result.status == 0, "\(result.standardError)")
        return result.standardOutput.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    @Test func theUserHashIsIntercomsHMACSHA256OfTheUserIDUnderTheActiveKey() async throws {
        let daemon = try await KeyrotctlTests.RunningDaemon(configuration: Self.configuration)
        #expect(try daemon.ctl(["key", "import", "acme", "--activate"], input: Self.secret).status == 0)
        #expect(try daemon.ctl(["key", "import", "wide", "--activate"], input: Self.wideSecret).status == 0)
        for userID in ["user-42", "ünïcødé ✓", String(repeating: "x", count: 256)] {
            let hash = try daemon.ctl(["user-hash", "acme", "--user-id", userID])
            #expect(hash.status == 0, "\(hash.standardError)")
            let expected = try python(Self.secret, userID)
            #expect(hash.standardOutput == expected + "\n")
        }
        // SHA-256 even where the tokens are HS384.
        let wide = try daemon.ctl(["user-hash", "wide", "--user-id", "user-42", "--json"])
        #expect(
            wide.standardOutput.contains(#""user_hash" : "\#(try python(Self.wideSecret, "user-42"))""#),
            "\(wide.standardOutput)"
        )
        #expect(wide.standardOutput.contains(#""key_id" : "wide.2""#))

        // A rotation changes it: the hash follows the active key.
        let before = try daemon.ctl(["user-hash", "acme", "--user-id", "user-42"]).standardOutput
        #expect(try daemon.ctl(["rotate", "acme"]).status == 0)
        #expect(try daemon.ctl(["user-hash", "acme", "--user-id", "user-42"]).standardOutput != before)

        // Bad input is refused with a reason; only the workspace's signers (and administrators) may ask.
        let empty = try daemon.ctl(["user-hash", "acme", "--user-id", ""])
        #expect(
            empty.status == 1 && empty.standardError.contains("user_id must not be empty"),
            "\(empty.standardError)"
        )
        let long = try daemon.ctl(["user-hash", "acme", "--user-id", String(repeating: "x", count: 257)])
        #expect(long.status == 1 && long.standardError.contains("longer than 256 bytes"), "\(long.standardError)")
        if Repository.runningAsRoot {
            chmod(daemon.socket, 0o666)
            #expect(try daemon.asNobody(["user-hash", "acme", "--user-id", "u"]).status == 0)
            #expect(try daemon.asNobody(["user-hash", "wide", "--user-id", "u"]).status == 77)
        }
        try await daemon.stop()
    }
}
