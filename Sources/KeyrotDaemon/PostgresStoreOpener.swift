import Foundation
import KeyrotCore
import KeyrotCrypto
import Logging

#if PostgreSQL
import KeyrotPostgres
#endif

/// Opens the PostgreSQL store that `[store] backend = "postgresql"` names, in a build with the PostgreSQL trait (every
/// build but CI's sanitizer builds); without it, says that this keyrotd cannot.
enum PostgresStoreOpener {
    /// What is wrong with `url` as a `[store] url`, in words for the configuration error; nil when nothing is.
    static func problem(with url: String) -> String? {
        #if PostgreSQL
        do { _ = try PostgresAddress(parsing: url) } catch { return error.description }
        return nil
        #else
        return "this keyrotd was built without PostgreSQL (swift build --disable-default-traits); build it with"
        #endif
    }

    /// The address as it is shown, without any password; `url` itself if it does not parse.
    static func location(of url: String) -> String {
        #if PostgreSQL
        (try? PostgresAddress(parsing: url))?.description ?? url
        #else
        url
        #endif
    }

    /// Opens the store at `url` (migrating its schema, checking or making its canary) and writes `copy` into it.
    static func load(
        _ copy: StoreCopy,
        url: String,
        password: String?,
        masterKey: MasterKey,
        now: Timestamp,
        logger: Logger
    ) throws(StoreError) {
        #if PostgreSQL
        let store = try open(url: url, password: password, masterKey: masterKey, now: now, logger: logger) { _ in }
        defer { try? store.close() }
        guard let postgres = store as? PostgresKeyStore else { preconditionFailure("open made another store") }
        try postgres.load(copy)
        #else
        throw .databaseFailed(problem: problem(with: url) ?? "")
        #endif
    }

    static func open(
        url: String,
        password: String?,
        masterKey: MasterKey,
        now: Timestamp,
        logger: Logger,
        willMigrate: @escaping @Sendable (String) -> Void
    ) throws(StoreError) -> any KeyStore {
        #if PostgreSQL
        let address: PostgresAddress
        do { address = try PostgresAddress(parsing: url) } catch {
            throw .databaseFailed(problem: "[store] url \(error.description)")
        }
        return try PostgresKeyStore(
            address: address,
            password: password,
            sealer: MasterKeySealer(masterKey: masterKey),
            sha3: SHA3.digest(bits:of:),
            now: now,
            logger: logger,
            willMigrate: willMigrate
        )
        #else
        throw .databaseFailed(problem: problem(with: url) ?? "")
        #endif
    }
}
