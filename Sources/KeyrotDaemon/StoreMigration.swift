import Foundation
import KeyrotCore
import KeyrotCrypto
import KeyrotStore
import Logging

/// `keyrotd migrate-store --to URL`: copies a stopped keyrotd's SQLite database into an empty PostgreSQL database,
/// keys still sealed under the same master key and the audit chain as it is, verified again where it arrives.
///
/// - Important: The SQLite database is only read; the copy commits as one transaction or not at all. Afterwards the
///   hosts run with `[store] backend = "postgresql"` and the same master key.
public enum StoreMigration {
    /// What was copied.
    public struct Outcome: Sendable {
        public var workspaces: Int
        public var keys: Int
        public var auditRows: Int
    }

    /// Copies the database of the keyrotd that `options` describe (state directory, master key) to `url`.
    /// - Throws: ``DaemonError``: no database, the state directory in use by a running keyrotd, a master key that
    ///   does not open the database, a target that is not empty, or either database failing.
    public static func run(
        options: DaemonOptions,
        to url: String,
        clock: any WallClock,
        logger: Logger
    )
        throws(DaemonError) -> Outcome
    {
        if let problem = PostgresStoreOpener.problem(with: url) {
            throw .configuration(file: "(command line)", key: "--to", problem: problem)
        }
        let stateDirectory = options.resolvedStateDirectory
        let databasePath = Daemon.databasePath(in: stateDirectory)
        guard FileManager.default.fileExists(atPath: databasePath) else {
            throw .databaseRefused("no database at \(databasePath): check --state-dir (or --dev)")
        }
        try Daemon.requirePrivateStateDirectory(stateDirectory)
        let lock = try StateDirectoryLock(directory: stateDirectory)
        defer { withExtendedLifetime(lock) {} }
        let masterKey = try Daemon.loadMasterKey(
            options,
            stateDirectory: stateDirectory,
            logger: logger,
            generate: false
        )
        let copy: StoreCopy
        do throws(StoreError) {
            let source = try SQLiteKeyStore(
                path: databasePath,
                sealer: MasterKeySealer(masterKey: masterKey),
                sha3: SHA3.digest(bits:of:),
                now: clock.now()
            )
            defer { try? source.close() }
            guard try source.auditChainBreaks().isEmpty else {
                throw .databaseFailed(problem: "its audit chain is broken (see audit_chain_breaks); nothing was copied")
            }
            copy = try source.copyOfRows()
        } catch {
            throw .storage(path: databasePath, problem: error.description)
        }
        do {
            try PostgresStoreOpener.load(
                copy,
                url: url,
                password: try Daemon.postgresPassword(options, stateDirectory: stateDirectory),
                masterKey: masterKey,
                now: clock.now(),
                logger: logger
            )
        } catch {
            throw .storage(path: PostgresStoreOpener.location(of: url), problem: error.description)
        }
        return Outcome(
            workspaces: copy.count(of: "workspaces"),
            keys: copy.count(of: "keys"),
            auditRows: copy.count(of: "audit_log")
        )
    }
}
