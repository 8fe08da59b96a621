import Foundation
import KeyrotTestSupport
import Testing

/// The provider's faults as Intercom's API has them: 5xx and 429 with `Retry-After`, answers slower than the
/// deadline, a creation whose answer is lost, refused credentials, and a certificate from the wrong authority.
/// The rotation waits and retries, the old key keeps signing meanwhile, and no secret is left behind.
@Suite(.serialized) struct ProviderFaultTests {
    static func configuration(extra: String = "") -> (String, TemporaryDirectory) -> String {
        { apiBase, _ in
            """
            [workspace.acme]
            rotate_every = "1h"
            grace = "1s"
            clock_skew = "0s"
            token_ttl = "1s"
            provider = "intercom"

            [workspace.acme.intercom]
            api_base = "\(apiBase)"
            timeout = "2s"
            sweep_every = "1s"
            \(extra)
            """
        }
    }

    @Test func failuresAreRetriedWithBackoffAndNoSecretIsLeftBehind() async throws {
        let daemon = try await ProviderDaemon(configuration: Self.configuration())
        let first = try await ProviderRotationTests().waitForSignature(daemon)
        try await daemon.standIn.queueFaults([
            // Long enough to see the rotation blocked, even by a slow (sanitized) keyrotctl.
            #"{"method": "POST", "kind": "status", "status": 503, "retry_after": 5}"#,
            #"{"method": "POST", "kind": "status", "status": 429, "retry_after": 1}"#,
            #"{"method": "POST", "kind": "status", "status": 500}"#,
            #"{"method": "POST", "kind": "delay", "seconds": 3}"#,
            #"{"method": "POST", "kind": "drop_after_create"}"#,
        ])
        #expect(try await daemon.ctl(["rotate", "acme"]).status == 0)

        // While the provider fails, the old key keeps signing and the status line says why.
        let blocked = try await eventuallyAsync(timeout: Sanitizer.limit(10)) {
            try await daemon.statusLine().contains("acme: rotation blocked: intercom 503 service_unavailable, retry in")
        }
        let line = try await daemon.statusLine()
        #expect(blocked, "\(line)")
        #expect(try await daemon.sign()?.keyID == first.keyID)

        // It gets through, and what Intercom holds is exactly what keyrotd verifies with.
        let rotated = try await eventuallyAsync(timeout: Sanitizer.limit(60)) {
            let newest = try await daemon.keys().first
            return newest?.state == "active" && newest?.key_id != first.keyID
        }
        #expect(rotated, "\(daemon.logs)")
        let clean = try await eventuallyAsync(timeout: Sanitizer.limit(15)) {
            let atIntercom = Set(try await daemon.standIn.secrets().map(\.name))
            let verifying = Set(try await daemon.keys().filter(\.verifies).map { "keyrotd acme \($0.key_id)" })
            return atIntercom == verifying
        }
        let held = try await daemon.standIn.secrets().map(\.name)
        #expect(clean, "\(held)")
        let events = try await daemon.events()
        // The lost answer's secret and the late answer's were found and deleted.
        #expect(events.filter { $0 == "provider_orphan_deleted" }.count == 2, "\(events)")
        #expect(events.filter { $0 == "provider_secret_created" }.count == 2)

        // Retry-After was honoured: the try after the 503 came at least 5 s later, the one after the 429 1 s.
        struct Requests: Decodable {
            struct Entry: Decodable {
                var method: String
                var status: Int?
                var at: Double
            }
            var data: [Entry]
        }
        let requests = try JSONDecoder().decode(
            Requests.self,
            from: try await daemon.standIn.control("GET", "/requests").body
        )
        .data.filter { $0.method == "POST" }
        #expect(requests.count >= 6)
        if requests.count >= 3 {
            #expect(requests[0].status == 201)  // the first key
            #expect(requests[1].status == 503 && requests[2].at - requests[1].at >= 4.9, "\(requests.map(\.at))")
            #expect(requests[2].status == 429)
            if requests.count >= 4 { #expect(requests[3].at - requests[2].at >= 0.9) }
        }
        let failures = daemon.logs.components(separatedBy: "keyrot.event=provider_call_failed").count - 1
        #expect(failures == 5, "\(daemon.logs)")
        try await daemon.stop()
    }

    @Test func aLeakedSecretIsGoneAtIntercomWithinTwoSecondsOfItBeingReachableAgain() async throws {
        let daemon = try await ProviderDaemon(configuration: Self.configuration())
        let leaked = try await ProviderRotationTests().waitForSignature(daemon).keyID
        let name = "keyrotd acme \(leaked)"
        try await daemon.standIn.setReachable(false)
        let flagged = try await daemon.ctl(["flag-leak", "acme", "--key", leaked, "--reason", "pasted in a ticket"])
        #expect(flagged.status == 0, "\(flagged)")

        // Refused here at once. Intercom, unreachable, still holds it: the status line and a critical event say so.
        #expect(try await daemon.keys().first { $0.key_id == leaked }?.verifies == false)
        #expect(try await daemon.standIn.secrets().contains { $0.name == name })
        let said = try await eventuallyAsync(timeout: Sanitizer.limit(5)) {
            try await daemon.statusLine().contains("acme: intercom still accepts revoked key \(leaked)")
        }
        let line = try await daemon.statusLine()
        #expect(said, "\(line)")
        #expect(daemon.logs.contains("keyrot.event=leaked_secret_still_accepted"), "\(daemon.logs.suffix(3000))")

        // Twelve seconds out of reach: the deletion is tried about every second (backing off exponentially, it would
        // have been tried at most five times, and the next try could come up to 16 s after Intercom is back).
        try await Task.sleep(for: .seconds(12))
        struct Status: Decodable {
            struct Workspace: Decodable {
                struct Job: Decodable {
                    var kind: String
                    var key_id: String
                    var attempts: Int
                }
                var jobs: [Job]
            }
            var workspaces: [Workspace]
        }
        let jobs =
            try await daemon.call("ProviderStatus", #"{"workspace": "acme"}"#, returning: Status.self)?
            .workspaces.first?.jobs ?? []
        let attempts = jobs.first { $0.kind == "delete" && $0.key_id == leaked }?.attempts ?? 0
        #expect(attempts >= 7, "the leaked secret's deletion was tried \(attempts) times in 12 s")
        try await daemon.standIn.setReachable(true)
        let gone = try await eventuallyAsync(timeout: Sanitizer.limit(2)) {
            try await !daemon.standIn.secrets().contains { $0.name == name }
        }
        let providerStatus = try await daemon.ctl(["provider", "status"]).standardOutput
        #expect(gone, "\(name) still at Intercom 2 s after it came back: \(providerStatus)")

        // Then the replacement signs (its creation, failing meanwhile, backs off to 10 s at most), and the status line
        // has nothing more to say about the leak.
        let replaced = try await eventuallyAsync(timeout: 10 + Sanitizer.limit(10)) {
            let signed = try await daemon.sign()
            return signed != nil && signed?.keyID != leaked
        }
        #expect(replaced)
        let cleared = try await eventuallyAsync(timeout: Sanitizer.limit(5)) {
            try await !daemon.statusLine().contains("still accepts")
        }
        #expect(cleared)
        // Tried every second, the deletion and the replacement's creation failed a dozen times each, but the journal
        // heard of each at most five times (a minute's share), the next entry counting the rest.
        let failures = daemon.logs.components(separatedBy: "keyrot.event=provider_call_failed").count - 1
        #expect(failures >= 2 && failures <= 10, "\(failures) failures logged")
        try await daemon.stop()
    }

    @Test func refusedCredentialsBlockTheRotationUntilAReload() async throws {
        let daemon = try await ProviderDaemon(configuration: Self.configuration())
        let first = try await ProviderRotationTests().waitForSignature(daemon)
        try await daemon.standIn.queueFaults([#"{"method": "POST", "kind": "status", "status": 401}"#])
        #expect(try await daemon.ctl(["rotate", "acme"]).status == 0)
        let blocked = try await eventuallyAsync(timeout: Sanitizer.limit(10)) {
            try await daemon.statusLine().contains("not retried until a reload")
        }
        #expect(blocked)
        // Blocked means blocked: no second try, the old key still signs.
        try await Task.sleep(for: .seconds(3))
        #expect(try await daemon.sign()?.keyID == first.keyID)
        let status = try await daemon.ctl(["provider", "status", "acme"])
        #expect(status.standardOutput.contains("after reload") && status.standardOutput.contains("401"), "\(status)")
        // An operator fixes the token and reloads: the rotation goes through.
        #expect(try await daemon.ctl(["reload"]).status == 0)
        let rotated = try await eventuallyAsync(timeout: Sanitizer.limit(15)) {
            let signed = try await daemon.sign()
            return signed != nil && signed?.keyID != first.keyID
        }
        #expect(rotated)
        try await daemon.stop()
    }

    @Test func certificatesAreCheckedAgainstTheConfiguredAuthority() async throws {
        let daemon = try await ProviderDaemon(tls: true) { apiBase, directory in
            """
            [workspace.acme]
            provider = "intercom"
            [workspace.acme.intercom]
            api_base = "\(apiBase)"
            ca_file = "\(directory.path("ca/ca.pem"))"
            timeout = "2s"

            [workspace.wrong]
            provider = "intercom"
            [workspace.wrong.intercom]
            api_base = "\(apiBase)"
            token_credential = "intercom-acme"
            ca_file = "\(directory.path("ca/other-ca.pem"))"
            timeout = "2s"
            """
        }
        // The right authority: the first key comes over HTTPS and Intercom accepts its tokens.
        let signed = try await ProviderRotationTests().waitForSignature(daemon)
        #expect(try await daemon.standIn.accepts(token: signed.token))
        // The wrong one: the agent refuses the server, so nothing reaches it and the workspace has no key.
        let failing = try await eventuallyAsync(timeout: Sanitizer.limit(10)) {
            try await daemon.statusLine().contains("wrong: rotation blocked")
        }
        let line = try await daemon.statusLine()
        #expect(failing, "\(line)")
        #expect(try await daemon.sign(workspace: "wrong") == nil)
        #expect(try await daemon.standIn.secrets().allSatisfy { !$0.name.hasPrefix("keyrotd wrong ") })
        try await daemon.stop()
    }
}
