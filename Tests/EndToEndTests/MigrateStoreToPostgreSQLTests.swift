#if PostgreSQL
import Foundation
import KeyrotTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// `keyrotd migrate-store`: a SQLite deployment moved into PostgreSQL, its keys and history with it.
@Suite(.serialized, .enabled(if: PostgresServer.isAvailable, "no PostgreSQL server is installed"))
struct MigrateStoreToPostgreSQLTests {
    @Test func aSQLiteDeploymentMovesWithItsKeysAndAChainThatStillVerifies() async throws {
        let server = try await PostgresServer.shared()
        let url = try await server.makeDatabase()
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let sqliteConfiguration = directory.path("sqlite.toml")
        try "[workspace.acme]\nrotate_every = \"1s\"\ngrace = \"1h\"\n[workspace.beta]\n"
            .write(toFile: sqliteConfiguration, atomically: true, encoding: .utf8)
        let state = ["--dev", "--state-dir", directory.path("state")]
        let database = directory.path("state/keyrotd.db")
        let socket = directory.path("state/control.sock")

        let first = try DaemonProcess(
            arguments: state + ["--config", sqliteConfiguration],
            logFile: directory.path("sqlite.log")
        )
        #expect(
            try await DaemonProcess.eventually(timeout: Sanitizer.limit(20)) {
                Int(
                    (try? SQLiteShell.query(
                        "SELECT count(*) FROM audit_log WHERE event = 'rotated'",
                        database: database
                    ))
                        ?? ""
                ) ?? 0 >= 3
            },
            "log: \(first.log)"
        )
        let signed = try await ProcessResult.runOffPool(
            DaemonProcess.builtControlBinary,
            ["--socket", socket, "sign", "acme", "--user-id", "moved"]
        )
        #expect(signed.status == 0, "\(signed.standardError)")
        let token = signed.standardOutput.trimmingCharacters(in: .whitespacesAndNewlines)
        first.send(SIGTERM)
        #expect(try await first.waitForExit(timeout: Sanitizer.limit(10)) == 0)

        let migrated = try await ProcessResult.runOffPool(
            DaemonProcess.builtBinary,
            ["migrate-store"] + state + ["--to", url]
        )
        #expect(migrated.status == 0, "\(migrated.standardError)")
        let chain =
            "SELECT seq || ' ' || workspace || ' ' || event || ' ' || coalesce(key_id, '-') FROM audit_log ORDER BY seq"
        #expect(try await server.psql(database: url, chain) == (try SQLiteShell.query(chain, database: database)))
        #expect(
            try await server.psql(
                database: url,
                "SELECT string_agg(encode(hash, 'hex'), ',' ORDER BY seq) FROM audit_log"
            )
                == (try SQLiteShell.query(
                    "SELECT group_concat(lower(hex(hash)), ',') FROM (SELECT hash FROM audit_log ORDER BY seq)",
                    database: database
                ))
        )
        #expect(try await server.psql(database: url, "SELECT count(*) FROM audit_chain_breaks") == "0")
        let keys = "SELECT workspace || ' ' || key_id || ' ' || state || ' ' || material FROM key_status ORDER BY 1"
        #expect(try await server.psql(database: url, keys) == (try SQLiteShell.query(keys, database: database)))

        // The same master key opens the copied keys: a token signed before the move verifies after it.
        let postgresConfiguration = directory.path("postgresql.toml")
        try
            "[store]\nbackend = \"postgresql\"\nurl = \"\(url)\"\n[workspace.acme]\nrotate_every = \"1h\"\ngrace = \"1h\"\n"
            .write(toFile: postgresConfiguration, atomically: true, encoding: .utf8)
        let second = try DaemonProcess(
            arguments: state + ["--config", postgresConfiguration],
            logFile: directory.path("postgresql.log")
        )
        #expect(
            try await DaemonProcess.eventually(timeout: Sanitizer.limit(20)) {
                FileManager.default.fileExists(atPath: socket) && second.log.contains("keyrotd initialized")
            },
            "log: \(second.log)"
        )
        let verified = try await ProcessResult.runOffPool(
            DaemonProcess.builtControlBinary,
            ["--socket", socket, "verify", "acme", token]
        )
        #expect(verified.status == 0, "\(verified.standardError)")
        second.send(SIGTERM)
        #expect(try await second.waitForExit(timeout: Sanitizer.limit(10)) == 0)

        // A database with history already is refused, and left as it was.
        let rows = try await server.psql(database: url, "SELECT count(*) FROM audit_log")
        let again = try await ProcessResult.runOffPool(
            DaemonProcess.builtBinary,
            ["migrate-store"] + state + ["--to", url]
        )
        #expect(again.status == 74)
        #expect(again.standardError.contains("not empty"), "\(again.standardError)")
        #expect(try await server.psql(database: url, "SELECT count(*) FROM audit_log") == rows)
    }
}
#endif
