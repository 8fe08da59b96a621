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

    func python(_ secret: String, _ userID: String) async throws -> String {
        let result = try await ProcessResult.runOffPool(
            InteropPython.executable,
            [
                "-c",
                """
                import hashlib, hmac, sys
                secret, user_id = sys.stdin.read().split(" ", 1)
                print(hmac.new(secret.encode(), user_id.encode(), digestmod=hashlib.sha256).hexdigest())
                """,
            ],
            input: secret + " " + userID
        )
        #expect(result.status == 0, "\(result.standardError)")
        return result.standardOutput.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    @Test func theUserHashIsIntercomsHMACSHA256OfTheUserIDUnderTheActiveKey() async throws {
        let daemon = try await KeyrotctlTests.RunningDaemon(configuration: Self.configuration)
        #expect(try await daemon.ctlOffPool(["key", "import", "acme", "--activate"], input: Self.secret).status == 0)
        #expect(
            try await daemon.ctlOffPool(["key", "import", "wide", "--activate"], input: Self.wideSecret).status == 0
        )
        for userID in ["user-42", "ünïcødé ✓", String(repeating: "x", count: 256)] {
            let hash = try await daemon.ctlOffPool(["user-hash", "acme", "--user-id", userID])
            #expect(hash.status == 0, "\(hash.standardError)")
            let expected = try await python(Self.secret, userID)
            #expect(hash.standardOutput == expected + "\n")
        }
        // SHA-256 even where the tokens are HS384.
        let wide = try await daemon.ctlOffPool(["user-hash", "wide", "--user-id", "user-42", "--json"])
        #expect(
            wide.standardOutput.contains(#""user_hash" : "\#(try await python(Self.wideSecret, "user-42"))""#),
            "\(wide.standardOutput)"
        )
        #expect(wide.standardOutput.contains(#""key_id" : "wide.2""#))

        // A rotation changes it: the hash follows the active key.
        let before = try await daemon.ctlOffPool(["user-hash", "acme", "--user-id", "user-42"]).standardOutput
        #expect(try await daemon.ctlOffPool(["rotate", "acme"]).status == 0)
        #expect(try await daemon.ctlOffPool(["user-hash", "acme", "--user-id", "user-42"]).standardOutput != before)

        // A user id in the form of a token's signing input is refused: its hash would be that token's signature.
        let forged = "eyJhbGciOiJIUzI1NiJ9.eyJ1c2VyX2lkIjoieCIsImV4cCI6OTAwNzE5OTI1NDc0MDk5MX0"
        let refused = try await daemon.ctlOffPool(["user-hash", "acme", "--user-id", forged])
        #expect(refused.status == 1 && refused.standardError.contains("signing input"), "\(refused.standardError)")
        #expect(try await daemon.ctlOffPool(["user-hash", "acme", "--user-id", "john.smith"]).status == 0)

        // Bad input is refused with a reason; only the workspace's signers (and administrators) may ask.
        let empty = try await daemon.ctlOffPool(["user-hash", "acme", "--user-id", ""])
        #expect(
            empty.status == 1 && empty.standardError.contains("user_id must not be empty"),
            "\(empty.standardError)"
        )
        let long = try await daemon.ctlOffPool(["user-hash", "acme", "--user-id", String(repeating: "x", count: 257)])
        #expect(long.status == 1 && long.standardError.contains("longer than 256 bytes"), "\(long.standardError)")
        if Repository.runningAsRoot {
            chmod(daemon.socket, 0o666)
            #expect(try await daemon.asNobodyOffPool(["user-hash", "acme", "--user-id", "u"]).status == 0)
            #expect(try await daemon.asNobodyOffPool(["user-hash", "wide", "--user-id", "u"]).status == 77)
        }
        try await daemon.stop()
    }
}
