import Foundation
import KeyrotCore
import KeyrotCrypto
import KeyrotTestSupport
import Testing

@testable import KeyrotStore

@Suite struct MigrationTests {
    static let migrationsDirectory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appending(path: "Migrations")

    @Test func theEmbeddedMigrationsAreExactlyTheMigrationsDirectory() throws {
        let files = try FileManager.default.contentsOfDirectory(
            atPath: Self.migrationsDirectory.path(percentEncoded: false)
        )
        .filter { $0.hasSuffix(".sql") }
        .sorted()
        #expect(!files.isEmpty)
        #expect(MigrationFile.embedded.map(\.fileName) == files)
        for file in MigrationFile.embedded {
            let onDisk = try String(
                contentsOf: Self.migrationsDirectory.appending(path: file.fileName),
                encoding: .utf8
            )
            #expect(file.sql == onDisk, "\(file.fileName) differs from its embedded copy")
        }
    }

    @Test func migrationFilesAreNumberedWithoutGaps() {
        #expect(MigrationFile.embedded.map(\.version) == Array(1...MigrationFile.embedded.count))
        #expect(MigrationFile.latestVersion == MigrationFile.embedded.count)
    }

    @Test func aNewDatabaseTellsItsSchemaVersion() throws {
        let fixture = try StoreFixture()
        #expect(try fixture.shell("PRAGMA user_version") == "\(MigrationFile.latestVersion)")
        #expect(try fixture.shell("PRAGMA journal_mode") == "wal")
    }

    @Test func everyCommitIsFlushedToDiskBeforeItReturns() throws {
        let fixture = try StoreFixture()
        // 2 is FULL: in WAL mode, NORMAL (1) would let a power cut undo rotations already reported as done.
        #expect(try fixture.store.pool.writeWithoutTransaction { try Int.fetchOne($0, sql: "PRAGMA synchronous") } == 2)
        #expect(try fixture.store.pool.read { try Int.fetchOne($0, sql: "PRAGMA synchronous") } == 2)
    }

    @Test func reopeningAppliesNothingTwice() throws {
        let fixture = try StoreFixture()
        try fixture.store.createWorkspace(
            StoreFixture.acme,
            policy: StoreFixture.policy(),
            at: StoreFixture.t0,
            actor: StoreFixture.admin
        )
        let reopened = try StoreFixture.open(fixture.databasePath, masterKey: fixture.masterKey)
        #expect(try reopened.history().count == 1)
        #expect(try fixture.shell("SELECT count(*) FROM grdb_migrations") == "\(MigrationFile.embedded.count)")
    }

    @Test func aDatabaseFromANewerSchemaIsRefusedAndLeftAlone() throws {
        let fixture = try StoreFixture()
        _ = try fixture.shell("PRAGMA user_version = 99")
        let before = try fixture.shell("SELECT name FROM sqlite_schema ORDER BY name")
        #expect {
            try StoreFixture.open(fixture.databasePath, masterKey: fixture.masterKey)
        } throws: { error in
            guard case StoreError.newerSchema(_, 99, MigrationFile.latestVersion) = error else { return false }
            return "\(error)".contains("left untouched")
        }
        #expect(try fixture.shell("PRAGMA user_version") == "99")
        #expect(try fixture.shell("SELECT name FROM sqlite_schema ORDER BY name") == before)
    }

    @Test func aDatabaseWithAnUnknownMigrationIsRefused() throws {
        let fixture = try StoreFixture()
        _ = try fixture.shell("INSERT INTO grdb_migrations VALUES ('9999_from_the_future')")
        #expect(throws: StoreError.self) { try StoreFixture.open(fixture.databasePath, masterKey: fixture.masterKey) }
    }

    @Test func aDatabaseBuiltWithAnEditedMigrationIsRefused() throws {
        let fixture = try StoreFixture()
        #expect(
            try fixture.shell("SELECT version, file_name, length(sha3) FROM schema_migrations ORDER BY version")
                == "1|0001_initial.sql|64\n2|0002_heartbeat.sql|64\n3|0003_master_key_rotation.sql|64\n"
                + "4|0004_provider_jobs.sql|64"
        )
        _ = try fixture.shell(
            "UPDATE schema_migrations SET sha3 = lower(hex(sha3('an older text', 256))) WHERE version = 1"
        )
        #expect(throws: StoreError.migrationChanged(path: fixture.databasePath, fileName: "0001_initial.sql")) {
            try StoreFixture.open(fixture.databasePath, masterKey: fixture.masterKey)
        }
    }

    @Test func theWrongMasterKeyCannotOpenTheDatabaseAndChangesNothing() throws {
        let fixture = try StoreFixture()
        try fixture.store.createWorkspace(
            StoreFixture.acme,
            policy: StoreFixture.policy(),
            at: StoreFixture.t0,
            actor: StoreFixture.admin
        )
        let before = try fixture.shell("SELECT hex(sealed) FROM master_key_canary; SELECT count(*) FROM audit_log")
        #expect(throws: StoreError.wrongMasterKey(path: fixture.databasePath)) {
            try StoreFixture.open(fixture.databasePath, masterKey: try MasterKey.generate())
        }
        #expect(
            try fixture.shell("SELECT hex(sealed) FROM master_key_canary; SELECT count(*) FROM audit_log") == before
        )
    }
}
