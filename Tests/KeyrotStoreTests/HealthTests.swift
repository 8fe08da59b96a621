import Foundation
import KeyrotCore
import KeyrotTestSupport
import Testing

@testable import KeyrotStore

@Suite struct HealthTests {
    @Test func aHealthyStoreCommitsItsHeartbeatWithoutInvalidatingCaches() throws {
        let fixture = try StoreFixture()
        try fixture.store.createWorkspace(
            StoreFixture.acme,
            policy: StoreFixture.policy(),
            at: StoreFixture.t0,
            actor: StoreFixture.admin
        )
        let revision = fixture.store.revision(of: StoreFixture.acme)
        try fixture.store.checkHealth(at: StoreFixture.t0 + .seconds(5), pid: 4242)
        try fixture.store.checkHealth(at: StoreFixture.t0 + .seconds(6), pid: 4242)
        #expect(try fixture.shell("SELECT * FROM last_heartbeat") == "2026-11-25T09:46:46Z|4242")
        #expect(try fixture.shell("SELECT count(*) FROM heartbeat") == "1")
        #expect(
            fixture.store.revision(of: StoreFixture.acme) == revision,
            "the heartbeat changes nothing a reader caches"
        )
    }

    @Test func aRemovedDatabaseFileIsReportedAndItsReturnHealsTheStore() throws {
        let fixture = try StoreFixture()
        let aside = fixture.directory.path("aside.db")
        try FileManager.default.moveItem(atPath: fixture.databasePath, toPath: aside)
        #expect(throws: StoreError.databaseFileGone(path: fixture.databasePath)) {
            try fixture.store.checkHealth(at: StoreFixture.t0, pid: 1)
        }
        try FileManager.default.moveItem(atPath: aside, toPath: fixture.databasePath)
        try fixture.store.checkHealth(at: StoreFixture.t0, pid: 1)
    }

    @Test func anotherFileInTheDatabasesPlaceIsReported() throws {
        let fixture = try StoreFixture()
        try FileManager.default.moveItem(atPath: fixture.databasePath, toPath: fixture.directory.path("aside.db"))
        try Data("not the database".utf8).write(to: URL(fileURLWithPath: fixture.databasePath))
        #expect(throws: StoreError.databaseFileReplaced(path: fixture.databasePath)) {
            try fixture.store.checkHealth(at: StoreFixture.t0, pid: 1)
        }
    }
}
