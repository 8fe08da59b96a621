#if PostgreSQL
import Foundation
import KeyrotCore
import KeyrotCrypto
import KeyrotPostgres
import KeyrotTestSupport
import Logging

/// A PostgreSQL store on a fresh database of the shared throwaway cluster, with a real master key, and the names the
/// PostgreSQL store's tests use.
struct PostgresFixture {
    static let t0 = Timestamp(secondsSinceEpoch: 1_795_600_000)
    static let acme = try! WorkspaceName("acme")
    static let admin = AuditActor(uid: 0, pid: 4242)

    let server: PostgresServer
    let url: String
    let masterKey: MasterKey
    let store: PostgresKeyStore

    init(server: PostgresServer? = nil) async throws {
        let shared = server == nil ? try await PostgresServer.shared() : nil
        self.server = server ?? shared!
        url = try await self.server.makeDatabase()
        masterKey = try MasterKey.generate()
        store = try Self.open(url, masterKey: masterKey)
    }

    /// Another store on the same database: what a second host runs.
    func secondHost(masterKey: MasterKey? = nil) throws -> PostgresKeyStore {
        try Self.open(url, masterKey: masterKey ?? self.masterKey)
    }

    static func open(_ url: String, masterKey: MasterKey) throws -> PostgresKeyStore {
        try PostgresKeyStore(
            address: PostgresAddress(parsing: url),
            password: nil,
            sealer: MasterKeySealer(masterKey: masterKey),
            sha3: { bits, input in SHA3.digest(bits: bits, of: input) },
            now: t0,
            logger: Logger(label: "test")
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

    /// `sql` through plain `psql`, as an auditor would run it.
    @discardableResult
    func psql(_ sql: String, as role: String = "keyrotd") async throws -> String {
        try await server.psql(database: url, as: role, sql)
    }
}
#endif
