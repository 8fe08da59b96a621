import Foundation
import InMemoryLogging
import KeyrotProvider
import KeyrotTestSupport
import Logging
import Testing

/// A hook is an operator's executable: one that hangs is killed at its deadline and the call is retried later, and
/// what it said on stderr before it hung reaches the journal, since that is how its author finds out why.
@Suite struct HookProviderTests {
    @Test func aHangingHookIsKilledAtItsDeadlineAndItsStderrStillLogged() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let hook = directory.path("hanging-hook")
        try "#!/bin/sh\necho \"listing $1: the vault is slow today\" >&2\nexec sleep 120\n".write(
            toFile: hook,
            atomically: true,
            encoding: .utf8
        )
        chmod(hook, 0o755)
        let logs = InMemoryLogHandler()
        let provider = HookProvider(
            executable: hook,
            workspace: "acme",
            logger: Logger(label: "test") { _ in logs },
            timeout: .seconds(1)
        )
        let started = ContinuousClock.now
        await #expect(
            throws: ProviderCallError.transient("hook list was killed after 1s", status: nil, retryAfterSeconds: nil)
        ) {
            try await provider.list()
        }
        // Not left to run its 120 s. (Not much sooner either, on a loaded machine: the hook starts on Dispatch's
        // global queue, which beside the whole suite's blocking work took 17 s to run it in a CI rehearsal.)
        #expect(ContinuousClock.now - started < .seconds(90))
        #expect(logs.entries.map(\.message.description) == ["hook: listing list: the vault is slow today"])
    }
}
