#if PostgreSQL
import KeyrotTestSupport
import Testing

/// ``HostileInputTests``' mutated calls on a keyrotd whose store is PostgreSQL: the hostile input that reaches the
/// store (the rest of that suite is about the socket alone, whatever the store).
@Suite(.serialized, .enabled(if: PostgresServer.isAvailable, "no PostgreSQL server is installed"))
struct HostileInputOnPostgreSQLTests {
    @Test func mutatedCallsFuzz() async throws {
        let server = try await PostgresServer.shared()
        let store = "[store]\nbackend = \"postgresql\"\nurl = \"\(try await server.makeDatabase())\"\n\n"
        try await HostileInputTests.mutatedCallsFuzz(configuration: store + HostileInputTests.configuration)
    }
}
#endif
