import Foundation
import GRDB
import KeyrotCore
import KeyrotCrypto
import KeyrotTestSupport
import Testing

@testable import KeyrotStore

/// Destroyed key material is in no file of the database once the change that destroyed it returns: the review
/// found a retired key's sealed blob three times in `keyrotd.db-wal`.
@Suite struct DestroyedMaterialTests {
    let acme = StoreFixture.acme
    let t0 = StoreFixture.t0
    let admin = StoreFixture.admin

    /// The sealed blob of `keyID` as it is stored now, read through the store's own connections (a `sqlite3`
    /// shell closing checkpoints the log itself, which would hide what the store leaves there).
    func sealedBlob(_ fixture: StoreFixture, _ keyID: String) throws -> Data {
        let blob = try fixture.store.pool.read { db in
            try Data.fetchOne(db, sql: "SELECT sealed_secret FROM keys WHERE key_id = ?", arguments: [keyID])
        }
        #expect((blob?.count ?? 0) > 32, "no blob for \(keyID)")
        return blob ?? Data()
    }

    /// The files of the state directory in which `blob` occurs.
    func files(_ fixture: StoreFixture, holding blob: Data) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: fixture.directory.path).filter { name in
            let contents = try Data(contentsOf: URL(fileURLWithPath: fixture.directory.path(name)))
            return contents.range(of: blob) != nil
        }
    }

    /// A workspace with busy pages: its key's row rewritten a few times, so the log holds several images of it.
    func fixtureWithHistory() throws -> StoreFixture {
        let fixture = try StoreFixture()
        try fixture.store.createWorkspace(
            acme,
            policy: StoreFixture.policy(rotateEvery: 100, grace: 30),
            at: t0,
            actor: admin
        )
        for step in 1...3 {
            try fixture.store.ensureWorkspace(
                acme,
                policy: StoreFixture.policy(rotateEvery: 100 + Int64(step), grace: 30),
                at: t0 + .seconds(Int64(step)),
                actor: admin
            )
        }
        return fixture
    }

    @Test func aRetiredKeysBlobIsInNoFile() throws {
        let fixture = try fixtureWithHistory()
        let blob = try sealedBlob(fixture, "acme.1")
        #expect(try !files(fixture, holding: blob).isEmpty, "the search finds a live key's blob")
        try fixture.store.rotate(acme, mode: .scheduled, reason: "scheduled", at: t0 + .seconds(200), actor: admin)
        #expect(try !files(fixture, holding: blob).isEmpty, "a grace key keeps its material")
        try fixture.store.retireExpiredGraceKey(acme, keyID: "acme.1", at: t0 + .seconds(230), actor: admin)
        #expect(try files(fixture, holding: blob) == [])
        #expect(!fixture.store.isPurgePending)
    }

    @Test func aRevokedKeysBlobIsInNoFile() throws {
        let fixture = try fixtureWithHistory()
        let blob = try sealedBlob(fixture, "acme.1")
        try fixture.store.rotate(acme, mode: .emergency, reason: "leaked", at: t0 + .seconds(10), actor: admin)
        #expect(try files(fixture, holding: blob) == [])
        let second = try sealedBlob(fixture, "acme.2")
        try fixture.store.flagLeak(acme, keyID: "acme.2", reason: "leaked too", at: t0 + .seconds(20), actor: admin)
        #expect(try files(fixture, holding: second) == [])
    }

    @Test func afterARekeyNoBlobSealedUnderTheOldMasterKeyIsInAnyFile() throws {
        let fixture = try fixtureWithHistory()
        try fixture.store.rotate(acme, mode: .scheduled, reason: "scheduled", at: t0 + .seconds(200), actor: admin)
        let blobs = [try sealedBlob(fixture, "acme.1"), try sealedBlob(fixture, "acme.2")]
        let new = try MasterKey.generate()
        _ = try fixture.store.rekey(
            with: MasterKeyResealer(from: fixture.masterKey, to: new),
            actor: admin,
            at: t0 + .seconds(210)
        )
        for blob in blobs { #expect(try files(fixture, holding: blob) == []) }
        #expect(try sealedBlob(fixture, "acme.1") != blobs[0], "re-sealed")
    }

    @Test func aReaderThatHoldsTheLogBackDelaysThePurgeUntilTheNextHealthCheck() async throws {
        let fixture = try fixtureWithHistory()
        let blob = try sealedBlob(fixture, "acme.1")
        try fixture.store.rotate(acme, mode: .scheduled, reason: "scheduled", at: t0 + .seconds(200), actor: admin)
        // An auditor's sqlite3 session holds a read transaction (a snapshot) while the key is retired: it says when
        // it holds it by touching one file, and lets go once the test makes another.
        let ready = fixture.directory.path("reader-ready")
        let release = fixture.directory.path("reader-release")
        let reader = try SpawnedProcess(
            "/bin/sh",
            [
                "-c",
                "(echo 'BEGIN; SELECT count(*) FROM keys;'; echo '.shell touch \(ready)'; "
                    + "while [ ! -e '\(release)' ]; do sleep 0.05; done; echo 'COMMIT;') "
                    + "| sqlite3 '\(fixture.databasePath)'",
            ],
            logFile: fixture.directory.path("reader.log")
        )
        defer { reader.send(SIGKILL) }
        #expect(try await DaemonProcess.eventually(timeout: 10) { FileManager.default.fileExists(atPath: ready) })
        try fixture.store.retireExpiredGraceKey(acme, keyID: "acme.1", at: t0 + .seconds(230), actor: admin)
        #expect(fixture.store.isPurgePending)
        #expect(try !files(fixture, holding: blob).isEmpty, "still in the log, as isPurgePending said")
        #expect(FileManager.default.createFile(atPath: release, contents: Data()))
        #expect(try await reader.waitForExit(timeout: 20) == 0, "\(reader.log)")
        try fixture.store.checkHealth(at: t0 + .seconds(240), pid: 1)
        #expect(!fixture.store.isPurgePending)
        #expect(try files(fixture, holding: blob).filter { !$0.hasPrefix("reader") } == [])
    }
}
