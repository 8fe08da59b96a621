import KeyrotControl
import KeyrotCore
import Testing

@testable import KeyrotDaemon

/// A policy changed over the socket (`keyrotctl workspace set`, `CreateWorkspace`, `UpdateWorkspace`).
@Suite struct PolicyChangeTests {
    /// A changed grace window leaves the workspace with its provider: dropping it would make the next rotation a
    /// local key the verifier (Intercom) has never seen.
    @Test func aChangeKeepsTheWorkspacesProvider() throws {
        let intercom = try WorkspacePolicy(
            algorithm: .hs256,
            rotateEvery: .seconds(3600),
            grace: .seconds(600),
            tokenTTL: .seconds(60),
            maxTokenTTL: .seconds(3600),
            provider: .intercom
        )
        var change = KeyrotAPI.PolicyChange()
        change.grace = "2h"
        let changed = try intercom.applying(change)
        #expect(changed.grace == .seconds(7200))
        #expect(changed.provider == .intercom)
        // A workspace made over the socket from such defaults gets everything but the provider.
        #expect(changed.withoutProvider.provider == nil && changed.withoutProvider.grace == changed.grace)
    }
}
