#if PostgreSQL
import Foundation
import KeyrotTestSupport
import Testing

/// ``CrashSafetyTests``'s `kill -9` at random moments, on the PostgreSQL store: after every kill the database holds
/// exactly what keyrotd acknowledged, whole, and a revoked key never verifies again. 50 kills by default
/// (`KEYROT_POSTGRES_CRASH_KILLS`): the store's transactions are the same code on either side of a kill, and the
/// SQLite crash test, beside it in the same run, makes its 200.
@Suite(.serialized, .enabled(if: PostgresServer.isAvailable, "no PostgreSQL server is installed"))
struct CrashSafetyOnPostgreSQLTests {
    @Test func survivesKillsMidRotation() async throws {
        let server = try await PostgresServer.shared()
        let directory = try TemporaryDirectory(inMemory: true)
        defer { directory.remove() }
        try await CrashSafetyTests.survivesKills(
            kills: Int(ProcessInfo.processInfo.environment["KEYROT_POSTGRES_CRASH_KILLS"] ?? "") ?? 50,
            store: .postgresql(server: server, url: try await server.makeDatabase()),
            in: directory
        )
    }
}
#endif
