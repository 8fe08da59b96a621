#if PostgreSQL
import Foundation
import KeyrotCore
import KeyrotCrypto
import KeyrotPostgres
import KeyrotTestSupport
import Testing

@Suite(.enabled(if: PostgresServer.isAvailable, "no PostgreSQL server is installed"))
struct PostgresStoreTests {
    let acme = PostgresFixture.acme
    let t0 = PostgresFixture.t0
    let admin = PostgresFixture.admin

    @Test func aNewDatabaseGetsEveryMigrationOnceAndAReopenChangesNothing() async throws {
        let fixture = try await PostgresFixture()
        #expect(
            try await fixture.psql("SELECT string_agg(file_name, ',' ORDER BY version) FROM schema_migrations")
                == "0001_initial.sql,0002_heartbeat.sql,0003_master_key_rotation.sql,0004_provider_jobs.sql"
        )
        _ = try fixture.secondHost()
        #expect(try await fixture.psql("SELECT count(*) FROM schema_migrations") == "4")
    }

    @Test func rotationsFollowTheLifecycleAndTheChainVerifiesInPlainPsql() async throws {
        let fixture = try await PostgresFixture()
        let created = try fixture.store.createWorkspace(acme, policy: PostgresFixture.policy(), at: t0, actor: admin)
        let first = try #require(created.first?.keyID)
        #expect(
            try fixture.store.rotate(acme, mode: .scheduled, reason: nil, at: t0 + .seconds(99), actor: admin)
                .isEmpty
        )
        let rotated = try fixture.store.rotate(
            acme,
            mode: .scheduled,
            reason: nil,
            at: t0 + .seconds(100),
            actor: admin
        )
        let second = try #require(rotated.first?.keyID)
        #expect(try fixture.keys() == [first: .grace, second: .active])
        let emergency = try fixture.store.rotate(
            acme,
            mode: .emergency,
            reason: "leak",
            at: t0 + .seconds(101),
            actor: admin
        )
        let third = try #require(emergency.first?.keyID)
        #expect(try fixture.keys() == [first: .grace, second: .revoked, third: .active])
        try fixture.store.flagLeak(acme, keyID: first, reason: "pasted", at: t0 + .seconds(102), actor: admin)
        #expect(try fixture.keys()[first] == .revoked)

        #expect(try await fixture.psql("SELECT count(*) FROM audit_chain_breaks") == "0")
        #expect(try fixture.store.auditChainBreaks().isEmpty)
        #expect(
            try await fixture.psql("SELECT string_agg(event, ',' ORDER BY seq) FROM rotation_history")
                == "workspace_created,rotated,emergency_rotated,leak_flagged"
        )
        #expect(
            try await fixture.psql("SELECT key_id || ':' || material FROM key_status ORDER BY key_id")
                .split(separator: "\n") == ["\(first):destroyed", "\(second):destroyed", "\(third):sealed"]
        )
        let history = try fixture.store.history(limit: 10)
        #expect(history.map(\.seq) == [1, 2, 3, 4])
        #expect(
            try await fixture.psql("SELECT encode(hash, 'hex') FROM audit_log WHERE seq = 4") == history.last?.chainHash
        )
    }

    @Test func theChainHashesTheBytesSQLitesChainDoes() async throws {
        let fixture = try await PostgresFixture()
        try fixture.store.createWorkspace(acme, policy: PostgresFixture.policy(), at: t0, actor: admin)
        try fixture.store.rotate(acme, mode: .manual, reason: "it's | odd\ntext", at: t0 + .seconds(5), actor: admin)
        // The same rows appended through SQLite's schema (the sqlite3 shell's own sha3) give the same hashes.
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let database = directory.path("chain.db")
        for file in try FileManager.default.contentsOfDirectory(atPath: Repository.path("Migrations")).sorted()
        where file.hasSuffix(".sql") {
            _ = try SQLiteShell.query(
                try String(contentsOfFile: Repository.path("Migrations/" + file), encoding: .utf8),
                database: database
            )
        }
        for entry in try fixture.store.history(limit: 10) {
            let quote = { (text: String?) in
                text.map { "'" + $0.replacingOccurrences(of: "'", with: "''") + "'" } ?? "NULL"
            }
            _ = try SQLiteShell.query(
                """
                INSERT INTO audit_append (at, workspace, event, key_id, previous_key_id, reason, detail, actor_uid,
                    actor_pid)
                VALUES (\(entry.at.secondsSinceEpoch), \(quote(entry.workspace?.rawValue)), '\(entry.event.rawValue)',
                    \(quote(entry.keyID)), \(quote(entry.previousKeyID)), \(quote(entry.reason)), \(quote(entry.detail)),
                    \(entry.actor.uid), \(entry.actor.pid))
                """,
                database: database
            )
        }
        let sqliteHashes = try SQLiteShell.query(
            "SELECT lower(hex(hash)) FROM audit_log ORDER BY seq",
            database: database
        )
        #expect(sqliteHashes == (try await fixture.psql("SELECT encode(hash, 'hex') FROM audit_log ORDER BY seq")))
    }

    @Test(arguments: [
        "UPDATE audit_log SET reason = 'rewritten' WHERE seq = 1",
        "DELETE FROM audit_log WHERE seq = 1",
        "TRUNCATE audit_log",
        "DELETE FROM keys",
        "UPDATE keys SET state = 'active' WHERE state = 'revoked'",
    ])
    func theSchemaRefusesRewritingHistory(statement: String) async throws {
        let fixture = try await PostgresFixture()
        try fixture.store.createWorkspace(acme, policy: PostgresFixture.policy(), at: t0, actor: admin)
        try fixture.store.rotate(acme, mode: .emergency, reason: nil, at: t0 + .seconds(1), actor: admin)
        await #expect(throws: PostgresServer.Failure.self) { try await fixture.psql(statement) }
        #expect(try await fixture.psql("SELECT count(*) FROM audit_log") == "2")
        #expect(try await fixture.psql("SELECT count(*) FROM audit_chain_breaks") == "0")
    }

    @Test func aRowChangedBehindTheTriggersBreaksTheChainWhereItWasChanged() async throws {
        let fixture = try await PostgresFixture()
        try fixture.store.createWorkspace(acme, policy: PostgresFixture.policy(), at: t0, actor: admin)
        try fixture.store.rotate(acme, mode: .manual, reason: "one", at: t0 + .seconds(1), actor: admin)
        try fixture.store.rotate(acme, mode: .manual, reason: "two", at: t0 + .seconds(2), actor: admin)
        try await fixture.psql(
            """
            ALTER TABLE audit_log DISABLE TRIGGER audit_log_rejects_update;
            UPDATE audit_log SET reason = 'forged' WHERE seq = 2;
            """,
            as: "postgres"
        )
        #expect(try fixture.store.auditChainBreaks() == [2])
    }

    @Test func anotherMasterKeyIsRefusedBeforeAnythingIsWritten() async throws {
        let fixture = try await PostgresFixture()
        try fixture.store.createWorkspace(acme, policy: PostgresFixture.policy(), at: t0, actor: admin)
        #expect {
            try fixture.secondHost(masterKey: try MasterKey.generate())
        } throws: { error in
            guard case StoreError.wrongMasterKey = error else { return false }
            return true
        }
        #expect(try await fixture.psql("SELECT count(*) FROM audit_log") == "1")
    }

    @Test func anotherMasterKeyIsRefusedBeforeAnyMigrationIsApplied() async throws {
        let fixture = try await PostgresFixture()
        // As if the database had been made by a keyrotd one migration older than this one.
        try await fixture.psql("DELETE FROM schema_migrations WHERE version = 4", as: "postgres")
        #expect {
            try fixture.secondHost(masterKey: try MasterKey.generate())
        } throws: { error in
            guard case StoreError.wrongMasterKey = error else { return false }
            return true
        }
        #expect(
            try await fixture.psql("SELECT string_agg(version::text, ',' ORDER BY version) FROM schema_migrations")
                == "1,2,3"
        )
    }

    @Test func aDatabaseOfANewerSchemaIsLeftUntouched() async throws {
        let fixture = try await PostgresFixture()
        try await fixture.psql(
            "INSERT INTO schema_migrations (version, file_name, sha3) VALUES (99, '0099_future.sql', 'x')"
        )
        #expect {
            try fixture.secondHost()
        } throws: { error in
            guard case StoreError.newerSchema(_, 99, 4) = error else { return false }
            return true
        }
    }

    @Test func twoHostsRotatingOneDueWorkspaceAtOnceRotateItOnce() async throws {
        let fixture = try await PostgresFixture()
        try fixture.store.createWorkspace(acme, policy: PostgresFixture.policy(), at: t0, actor: admin)
        let hosts = [fixture.store, try fixture.secondHost(), try fixture.secondHost()]
        for period in 1...10 {
            let due = t0 + .seconds(100 * Int64(period))
            let rotations = try await withThrowingTaskGroup(of: Int.self) { group in
                for host in hosts {
                    group.addTask {
                        try await onOwnThread {
                            try host.rotate(acme, mode: .scheduled, reason: nil, at: due, actor: admin).count
                        }
                    }
                }
                return try await group.reduce(0, +)
            }
            #expect(rotations == 1, "period \(period)")
        }
        #expect(try await fixture.psql("SELECT count(*) FROM audit_log WHERE event = 'rotated'") == "10")
        #expect(try await fixture.psql("SELECT count(*) FROM audit_chain_breaks") == "0")
    }

    @Test func aSecondHostSeesTheFirstHostsChangesAndKeysOpenUnderTheSameMasterKey() async throws {
        let fixture = try await PostgresFixture()
        let other = try fixture.secondHost()
        try fixture.store.createWorkspace(acme, policy: PostgresFixture.policy(), at: t0, actor: admin)
        let keys = try other.workspaceKeys(of: acme)
        let active = try #require(keys.ring.signingKey)
        let sealed = try #require(keys.sealedSecrets[active.keyID])
        #expect(throws: Never.self) {
            try fixture.masterKey.open(sealed, for: .key(workspace: acme, keyID: active.keyID))
        }
        #expect(
            try await fixture.psql(
                "SELECT count(*) FROM keys WHERE position(\(sqlLiteral(active.keyID)) IN encode(sealed_secret, 'escape')) > 0"
            ) == "0"
        )
    }
}

/// `text` as an SQL string literal.
private func sqlLiteral(_ text: String) -> String { "'" + text.replacingOccurrences(of: "'", with: "''") + "'" }
#endif
