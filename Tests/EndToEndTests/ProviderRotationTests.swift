import Foundation
import KeyrotTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// A `--dev` keyrotd whose workspace's secrets come from Intercom (the stand-in): it rotates there by itself, the
/// tokens it signs are what Intercom accepts, and an emergency takes the old secret away there at once.
@Suite(.serialized) struct ProviderRotationTests {
    static func configuration(rotateEvery: String, grace: String) -> (String, TemporaryDirectory) -> String {
        { apiBase, _ in
            """
            [workspace.acme]
            rotate_every = "\(rotateEvery)"
            grace = "\(grace)"
            token_ttl = "1s"
            clock_skew = "0s"
            provider = "intercom"

            [workspace.acme.intercom]
            api_base = "\(apiBase)"
            token_credential = "intercom-acme"
            timeout = "5s"
            sweep_every = "1s"
            """
        }
    }

    /// The names of the stand-in's secrets, and keyrotd's verifying keys' names there.
    static func names(_ daemon: ProviderDaemon) async throws -> (atIntercom: Set<String>, verifying: Set<String>) {
        let atIntercom = Set(try await daemon.standIn.secrets().map(\.name))
        let verifying = Set(try await daemon.keys().filter(\.verifies).map { "keyrotd acme \($0.key_id)" })
        return (atIntercom, verifying)
    }

    @Test func aDevDaemonRotatesAtIntercomByItself() async throws {
        let daemon = try await ProviderDaemon(configuration: Self.configuration(rotateEvery: "3s", grace: "2s"))
        // The first key comes from Intercom.
        let first = try await waitForSignature(daemon)
        #expect(try await daemon.standIn.accepts(token: first.token), "Intercom refused keyrotd's first token")
        // Asked again if need be: with a 3 s rotation and a 2 s grace, a slow (sanitized) keyrotctl can take long
        // enough for the key it used to be rotated out and deleted at Intercom before the stand-in is asked.
        let userHashAccepted = try await eventuallyAsync(timeout: Sanitizer.limit(10)) {
            let userHash = try await daemon.ctl(["user-hash", "acme", "--user-id", "user-1"])
            return try await daemon.standIn.accepts(
                userHash: userHash.standardOutput.trimmingCharacters(in: .whitespacesAndNewlines),
                for: "user-1"
            )
        }
        #expect(userHashAccepted, "Intercom refused the user_hash of keyrotd's active key")

        // Scheduled rotations happen at Intercom: two more keys, and the replaced ones deleted there after grace.
        let rotated = try await eventuallyAsync(timeout: Sanitizer.limit(30)) {
            try await daemon.events().filter { $0 == "rotated" }.count >= 2
        }
        let events = try await daemon.events()
        #expect(rotated, "\(events)")
        let retired = try await eventuallyAsync(timeout: Sanitizer.limit(30)) {
            try await daemon.events().contains("provider_secret_deleted")
        }
        #expect(retired)
        let matches = try await eventuallyAsync(timeout: Sanitizer.limit(10)) {
            let (atIntercom, verifying) = try await Self.names(daemon)
            return atIntercom == verifying
        }
        let names = try await Self.names(daemon)
        #expect(matches, "\(names)")
        // (The first key signed a token: its grace lasts until that token and the signing watermark's slack end,
        // and so does its secret at Intercom, as the match above shows.)
        #expect(try await daemon.standIn.accepts(token: first.token))

        // An emergency: the old key is refused here at once and gone at Intercom within 2 s.
        // (The key the emergency revokes is the one active when it comes: a scheduled rotation may slip in after the
        // token is signed, and then the token's key is in grace, rightly accepted still.)
        let before = try #require(try await signedAndAccepted(daemon))
        let emergency = try await daemon.ctl(["--json", "rotate", "acme", "--emergency", "--reason", "test leak"])
        #expect(emergency.status == 0, "\(emergency.standardError)")
        let revoked = try #require(
            try JSONDecoder().decode(VarlinkReply<RotateReply>.self, from: Data(emergency.standardOutput.utf8))
                .parameters?.revokedKeyID
        )
        let start = ContinuousClock.now
        let gone = try await eventuallyAsync(timeout: Sanitizer.limit(2)) {
            try await !daemon.standIn.secrets().map(\.name).contains("keyrotd acme \(revoked)")
        }
        let waited = ContinuousClock.now - start
        let jobs = try await daemon.ctl(["provider", "status", "acme"]).standardOutput
        #expect(gone, "\(revoked)'s secret still at Intercom after \(waited): \(jobs) \(daemon.logs.suffix(3000))")
        if revoked == before.keyID { #expect(try await daemon.standIn.accepts(token: before.token) == false) }
        let after = try #require(try await signedAndAccepted(daemon))
        #expect(after.keyID != revoked)

        // The agent's command line and environment hold no secret and no token.
        let agent = try #require(ProviderCrashTests.children(of: daemon.process.pid).first, "no agent running")
        let exposed = [
            try String(contentsOfFile: "/proc/\(agent)/cmdline", encoding: .utf8),
            try String(contentsOfFile: "/proc/\(agent)/environ", encoding: .utf8),
        ].joined()
        #expect(!exposed.isEmpty)
        for secret in try await daemon.standIn.secrets().map(\.secret) + [daemon.token] {
            #expect(!exposed.contains(secret))
        }

        let status = try await daemon.ctl(["provider", "status"])
        #expect(status.status == 0 && status.standardOutput.contains("acme: provider intercom"), "\(status)")
        try await daemon.stop()
    }

    @Test func aSecretMadeInTheDashboardIsListedAsUnmanagedAndCanBeAdopted() async throws {
        let daemon = try await ProviderDaemon(configuration: Self.configuration(rotateEvery: "1h", grace: "1s"))
        _ = try await waitForSignature(daemon)
        let dashboard = try await daemon.standIn.createInDashboard(name: "Messenger (web)")
        // keyrotd never deletes what it did not create: it lists it.
        let listed = try await eventuallyAsync(timeout: Sanitizer.limit(10)) {
            let status = try await daemon.ctl(["provider", "status", "acme"])
            return status.standardOutput.contains(dashboard.id) && status.standardOutput.contains("Messenger (web)")
        }
        let status = try await daemon.ctl(["provider", "status", "acme"])
        #expect(listed, "\(status)")
        #expect(try await daemon.standIn.secrets().contains { $0.id == dashboard.id })

        // Adopted with its id, it signs what Intercom accepts, and a later rotation deletes it there.
        let adopted = try await daemon.ctl(
            ["key", "import", "acme", "--provider-id", dashboard.id, "--activate"],
            input: dashboard.secret
        )
        #expect(adopted.status == 0, "\(adopted.standardError)")
        let signed = try #require(try await daemon.sign())
        #expect(try await daemon.keys().first { $0.key_id == signed.keyID }?.provider_id == dashboard.id)
        #expect(try await daemon.standIn.accepts(token: signed.token))
        let emergency = try await daemon.ctl(["rotate", "acme", "--emergency", "--reason", "drill"])
        #expect(emergency.status == 0, "\(emergency)")
        let deleted = try await eventuallyAsync(timeout: Sanitizer.limit(5)) {
            try await !daemon.standIn.secrets().contains { $0.id == dashboard.id }
        }
        #expect(deleted)
        try await daemon.stop()
    }

    /// Signs once keyrotd can (its key comes from the provider).
    /// A token keyrotd signs, once Intercom has accepted it; nil (and an issue) if Intercom refused a token whose key
    /// keyrotd still verifies. A refusal of a key keyrotd no longer verifies is not keyrotd's fault but the test's:
    /// with a 3 s rotation and a 2 s grace, a test slowed down enough (sanitized, on a loaded machine) between
    /// signing and asking sees the key rotated out and deleted at Intercom first; then it signs again.
    func signedAndAccepted(_ daemon: ProviderDaemon) async throws -> (token: String, keyID: String)? {
        for _ in 0..<5 {
            let signed = try await waitForSignature(daemon)
            if try await daemon.standIn.accepts(token: signed.token) { return signed }
            let verifies = try await daemon.keys().first { $0.key_id == signed.keyID }?.verifies
            #expect(verifies != true, "Intercom refused a token of \(signed.keyID), which keyrotd still verifies")
            if verifies == true { return nil }
        }
        Issue.record("five tokens in a row had their keys rotated out before Intercom was asked")
        return nil
    }

    func waitForSignature(_ daemon: ProviderDaemon) async throws -> (token: String, keyID: String) {
        var signed: (token: String, keyID: String)?
        _ = try await eventuallyAsync(timeout: Sanitizer.limit(20)) {
            signed = try await daemon.sign()
            return signed != nil
        }
        return try #require(signed, "keyrotd never got a key from the stand-in: \(daemon.logs)")
    }
}

/// Polls an asynchronous `condition` every 100 ms until it holds or `timeout` seconds pass.
func eventuallyAsync(timeout: Double, _ condition: () async throws -> Bool) async throws -> Bool {
    let deadline = ContinuousClock.now + .milliseconds(Int64(timeout * 1000))
    while ContinuousClock.now < deadline {
        if try await condition() { return true }
        try await Task.sleep(for: .milliseconds(100))
    }
    return try await condition()
}
