import Foundation
import GRDB
import KeyrotCore
import KeyrotCrypto
import KeyrotTestSupport
import Testing

@testable import KeyrotStore

@Suite struct AuditChainTests {
    let acme = StoreFixture.acme
    let t0 = StoreFixture.t0
    let admin = StoreFixture.admin

    /// A store with a little of everything in its history.
    func busyFixture() throws -> StoreFixture {
        let fixture = try StoreFixture()
        let store = fixture.store
        try store.createWorkspace(
            acme,
            policy: StoreFixture.policy(rotateEvery: 100, grace: 10),
            at: t0,
            actor: admin,
            reason: "it's a test | with quotes"
        )
        try store.rotate(acme, mode: .scheduled, reason: "scheduled", at: t0 + .seconds(100), actor: admin)
        try store.retireExpiredGraceKey(acme, keyID: "acme.1", at: t0 + .seconds(110), actor: admin)
        try store.flagLeak(
            acme,
            keyID: "acme.2",
            reason: "leaked\nin logs",
            at: t0 + .seconds(120),
            actor: AuditActor(uid: 1001, pid: 77)
        )
        try store.ensureWorkspace(
            acme,
            policy: StoreFixture.policy(rotateEvery: 50),
            at: t0 + .seconds(130),
            actor: admin
        )
        return fixture
    }

    @Test func thePlainSQLiteShellProvesTheHistoryIntact() throws {
        let fixture = try busyFixture()
        #expect(try fixture.shell("SELECT count(*) FROM audit_log") == "6")
        // The shell's own sha3() recomputes every link: the daemon's OpenSSL sha3 and the shell's agree.
        #expect(try fixture.shell("SELECT count(*) FROM audit_chain_breaks") == "0")
        #expect(try fixture.store.auditChainBreaks().isEmpty)
    }

    @Test func theChainFollowsTheDocumentedFormula() throws {
        let fixture = try busyFixture()
        let history = try fixture.store.history()
        var previous = ""
        for entry in history {
            /// quote(CAST(x AS BLOB)): the value's bytes as an SQL blob literal.
            func blob(_ text: String?) -> String {
                text.map { "X'" + $0.utf8.map { String(format: "%02X", $0) }.joined() + "'" } ?? "NULL"
            }
            let fields = [
                previous, blob("\(entry.seq)"), blob("\(entry.at.secondsSinceEpoch)"), blob(entry.workspace?.rawValue),
                blob(entry.event.rawValue), blob(entry.keyID), blob(entry.previousKeyID), blob(entry.reason),
                blob(entry.detail), blob("\(entry.actor.uid)"), blob("\(entry.actor.pid)"),
            ]
            let digest = SHA3.digest(bits: 256, of: Array(fields.joined(separator: "|").utf8))!
            let hex = digest.map { String(format: "%02x", $0) }.joined()
            #expect(entry.chainHash == hex, "row \(entry.seq)")
            previous = hex.uppercased()
        }
        #expect(
            try fixture.shell("SELECT chain_hash FROM rotation_history ORDER BY seq DESC LIMIT 1")
                == history.last?.chainHash
        )
    }

    @Test func theAuditLogRejectsUpdateAndDelete() throws {
        let fixture = try busyFixture()
        let update = try SQLiteShell.run(
            "UPDATE audit_log SET reason = 'nothing to see' WHERE seq = 2;",
            database: fixture.databasePath
        )
        let delete = try SQLiteShell.run("DELETE FROM audit_log WHERE seq = 6;", database: fixture.databasePath)
        #expect(update.standardError.contains("audit_log is append-only"))
        #expect(delete.standardError.contains("audit_log is append-only"))
        #expect(try fixture.shell("SELECT count(*), max(reason = 'nothing to see') FROM audit_log") == "6|0")
    }

    @Test func aRowChangedBehindTheTriggersBackBreaksTheChain() throws {
        let fixture = try busyFixture()
        _ = try fixture.shell(
            "DROP TRIGGER audit_log_rejects_update; UPDATE audit_log SET actor_uid = 0 WHERE seq = 4;"
        )
        #expect(try fixture.shell("SELECT seq, problem FROM audit_chain_breaks") == "4|row or its predecessor changed")
        #expect(try fixture.store.auditChainBreaks() == [4])
    }

    @Test func aRowDeletedBehindTheTriggersBackBreaksTheChain() throws {
        let fixture = try busyFixture()
        _ = try fixture.shell("DROP TRIGGER audit_log_rejects_delete; DELETE FROM audit_log WHERE seq = 3;")
        #expect(try fixture.shell("SELECT seq, problem FROM audit_chain_breaks") == "4|rows missing before this one")
    }

    @Test func aNULByteCannotHideTextFromTheChain() throws {
        let fixture = try busyFixture()
        #expect(throws: (any Error).self) {
            try fixture.store.rotate(
                acme,
                mode: .emergency,
                reason: "ok\u{0}hidden",
                at: t0 + .seconds(200),
                actor: admin
            )
        }
        #expect(try fixture.shell("SELECT count(*) FROM audit_log") == "6")
        // Even with CHECK constraints switched off, text after a NUL is covered by the hash.
        _ = try fixture.shell(
            """
            PRAGMA ignore_check_constraints = ON; DROP TRIGGER audit_log_rejects_update;
            UPDATE audit_log SET key_id = key_id || char(0) || 'forged' WHERE seq = 2;
            """
        )
        #expect(try fixture.shell("SELECT seq FROM audit_chain_breaks") == "2")
    }

    @Test func valuesOfAnotherStorageTypeDoNotLookLikeTampering() throws {
        let fixture = try busyFixture()
        _ = try fixture.shell(
            """
            INSERT INTO audit_append (at, workspace, event, key_id, previous_key_id, reason, detail, actor_uid, actor_pid)
            VALUES (strftime('%s', 'now'), 'acme', 'revoked', 'acme.9', NULL, 'typed by hand', NULL, '0', '1');
            """
        )
        #expect(try fixture.shell("SELECT count(*) FROM audit_chain_breaks") == "0")
    }

    @Test func theSchemaHoldsTheKeyInvariants() throws {
        let fixture = try busyFixture()
        let attempts = [
            ("UPDATE keys SET state = 'active', activated_at = 1 WHERE key_id = 'acme.1';", "cannot change state"),
            ("UPDATE keys SET state = 'active' WHERE key_id = 'acme.2';", "cannot change state"),
            ("DELETE FROM keys WHERE key_id = 'acme.3';", "never deleted"),
            ("DELETE FROM workspaces;", "never deleted"),
            ("UPDATE keys SET leaked = 1 WHERE key_id = 'acme.3';", "CHECK constraint failed"),
            ("UPDATE keys SET sealed_secret = NULL WHERE key_id = 'acme.3';", "CHECK constraint failed"),
            (
                """
                INSERT INTO keys (workspace_id, key_id, generation, algorithm, state, sealed_secret, created_at, activated_at)
                VALUES (1, 'acme.99', 99, 'HS256', 'active', x'00', 0, 0);
                """, "UNIQUE constraint failed"
            ),
            (
                "INSERT INTO workspaces (name, algorithm, rotate_every_seconds, grace_seconds, token_ttl_seconds, max_token_ttl_seconds, created_at) VALUES ('Bad Name', 'HS256', 1, 0, 1, 1, 0);",
                "CHECK constraint failed"
            ),
            ("UPDATE workspaces SET rotate_every_seconds = 'soon';", "cannot store TEXT value in INTEGER column"),
        ]
        for (sql, message) in attempts {
            let result = try SQLiteShell.run(sql, database: fixture.databasePath)
            #expect(result.standardError.contains(message), "\(sql) -> \(result.standardError)")
        }
        #expect(try fixture.shell("SELECT count(*) FROM keys WHERE state = 'active'") == "1")
    }

    @Test func noPlaintextKeyMaterialIsInTheDatabaseFiles() throws {
        let fixture = try busyFixture()
        let sealed = try fixture.store.pool.read { db in
            try Row.fetchAll(
                db,
                sql:
                    "SELECT w.name, k.key_id, k.sealed_secret FROM keys k JOIN workspaces w ON w.id = k.workspace_id WHERE sealed_secret IS NOT NULL"
            )
        }
        #expect(!sealed.isEmpty)
        var secrets: [[UInt8]] = []
        for row in sealed {
            let context = SealingContext.key(workspace: try WorkspaceName(row[0]), keyID: row[1])
            let secret = try fixture.masterKey.open(row[2], for: context)
            secrets.append(secret.withUnsafeBytes { Array($0) })
        }
        let files = try FileManager.default.contentsOfDirectory(atPath: fixture.directory.path)
        #expect(files.contains("keyrotd.db"))
        for file in files {
            let contents = try Data(contentsOf: URL(fileURLWithPath: fixture.directory.path(file)))
            for secret in secrets {
                #expect(contents.range(of: Data(secret)) == nil, "plaintext key in \(file)")
                #expect(contents.range(of: Data(secret.prefix(16))) == nil, "part of a plaintext key in \(file)")
            }
        }
    }
}
