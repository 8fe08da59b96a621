import Foundation
import KeyrotCore
import KeyrotCrypto
import KeyrotTestSupport

@testable import KeyrotStore

/// A real store in a fresh directory, with a real master key, and the names the store tests use.
struct StoreFixture {
    static let t0 = Timestamp(secondsSinceEpoch: 1_795_600_000)
    static let acme = try! WorkspaceName("acme")
    static let admin = AuditActor(uid: 0, pid: 4242)

    let directory: TemporaryDirectory
    let masterKey: MasterKey
    let store: SQLiteKeyStore

    var databasePath: String { directory.path("keyrotd.db") }

    init(masterKey: MasterKey? = nil, directory: TemporaryDirectory? = nil) throws {
        let directory = try directory ?? TemporaryDirectory()
        let masterKey = try masterKey ?? MasterKey.generate()
        self.directory = directory
        self.masterKey = masterKey
        store = try Self.open(directory.path("keyrotd.db"), masterKey: masterKey)
    }

    static func open(_ path: String, masterKey: MasterKey) throws -> SQLiteKeyStore {
        try SQLiteKeyStore(
            path: path,
            sealer: MasterKeySealer(masterKey: masterKey),
            sha3: { bits, input in SHA3.digest(bits: bits, of: input) },
            now: t0
        )
    }

    static func policy(rotateEvery: Int64 = 100, grace: Int64 = 30) -> WorkspacePolicy {
        try! WorkspacePolicy(
            algorithm: .hs256,
            rotateEvery: .seconds(rotateEvery),
            grace: .seconds(grace),
            tokenTTL: .seconds(10),
            maxTokenTTL: .seconds(60)
        )
    }

    func keys(_ workspace: WorkspaceName = acme) throws -> [String: KeyState] {
        Dictionary(uniqueKeysWithValues: try store.keyRing(of: workspace).keys.map { ($0.keyID, $0.state) })
    }

    func shell(_ sql: String) throws -> String {
        try SQLiteShell.query(sql, database: databasePath)
    }
}
