import Foundation
import KeyrotCore
import KeyrotCrypto
import KeyrotStore
import Logging

#if canImport(Glibc)
import Glibc
#endif

/// `keyrotd rekey --new-master-key-file FILE`: re-seals every live key of a stopped keyrotd's store under a new
/// master key, in one audited transaction: the SQLite database in the state directory, or the PostgreSQL database
/// that the configuration's `[store]` names (with keyrotd stopped on every host that shares it).
///
/// A crash at any moment leaves the store all under the old key or all under the new one; running the same command
/// again after a crash finishes the job (a store already under the new key is left as it is). In dev mode the new
/// key then replaces the state directory's `master.key`; otherwise the operator installs it where keyrotd reads its
/// master key, on every host.
public enum MasterKeyRotation {
    /// What a rekey did.
    public struct Outcome: Sendable {
        /// Keys re-sealed; nil when the store was under the new master key already.
        public var resealed: Int?
        /// The `master_key_rotated` audit row.
        public var entry: AuditEntry?
        /// The dev mode's master key file, now holding the new key.
        public var installedKeyFile: String?
        /// Whether the store is shared by several hosts (each needs the new key).
        public var shared = false
    }

    /// Re-seals the store of the keyrotd that `options` describe (configuration, state directory, current master
    /// key) under the key in `newMasterKeyFile`.
    /// - Throws: ``DaemonError``: no database, keyrotd running (here, or on a host sharing the store), a master key
    ///   that opens nothing in the store, a new key equal to the old one, or the store failing.
    public static func run(
        options: DaemonOptions,
        newMasterKeyFile: String,
        clock: any WallClock,
        logger: Logger
    ) throws(DaemonError) -> Outcome {
        let configuration = try Daemon.loadConfiguration(options)
        let stateDirectory = options.resolvedStateDirectory
        let location: String
        var lock: StateDirectoryLock?
        switch configuration.store {
        case .sqlite:
            location = Daemon.databasePath(in: stateDirectory)
            guard FileManager.default.fileExists(atPath: location) else {
                throw .rekey("no database at \(location): check --state-dir (or --dev), and --config")
            }
            try Daemon.requirePrivateStateDirectory(stateDirectory)
            lock = try StateDirectoryLock(directory: stateDirectory)
        case .postgresql(let url):
            location = PostgresStoreOpener.location(of: url)
            // A keyrotd of this host holds its state directory (a host may have none: an operator's machine).
            if FileManager.default.fileExists(atPath: stateDirectory) {
                try Daemon.requirePrivateStateDirectory(stateDirectory)
                lock = try StateDirectoryLock(directory: stateDirectory)
            }
        }
        defer { withExtendedLifetime(lock) {} }
        let old = try Daemon.loadMasterKey(options, stateDirectory: stateDirectory, logger: logger, generate: false)
        let new = try MasterKeyFile.load(path: newMasterKeyFile)
        guard !old.isSameKey(as: new) else {
            throw .rekey(
                "the new master key in \(newMasterKeyFile) is the one in use: make a new one with (umask 077 && openssl rand -out FILE 32)"
            )
        }
        let open = { (masterKey: MasterKey) throws(StoreError) -> any KeyStore in
            switch configuration.store {
            case .sqlite:
                try SQLiteKeyStore(
                    path: location,
                    sealer: MasterKeySealer(masterKey: masterKey),
                    sha3: SHA3.digest(bits:of:),
                    now: clock.now()
                )
            case .postgresql(let url):
                try PostgresStoreOpener.open(
                    url: url,
                    password: try Daemon.postgresPassword(options, stateDirectory: stateDirectory),
                    masterKey: masterKey,
                    now: clock.now(),
                    logger: logger
                ) { _ in }
            }
        }
        var outcome = Outcome()
        if case .postgresql = configuration.store { outcome.shared = true }
        do {
            // The current key first: trying the new one first would make an empty PostgreSQL database under it.
            var current: (any KeyStore)?
            do throws(StoreError) { current = try open(old) } catch .wrongMasterKey { current = nil }
            if current == nil {
                let resealed = try open(new)
                try? resealed.close()
                logger.notice("the store is sealed under the new master key already; nothing to re-seal")
            }
            if let store = current {
                defer { try? store.close() }
                // Every keyrotd running on a shared store asks for the scheduler's lease, and one of them holds it.
                guard store.holdsSchedulerLease() else {
                    throw DaemonError.rekey(
                        "a keyrotd sharing \(location) is running (one holds the scheduler's lease): stop keyrotd on "
                            + "every host that shares the store, then run rekey again"
                    )
                }
                let (resealed, entry) = try store.rekey(
                    with: MasterKeyResealer(from: old, to: new),
                    actor: Daemon.selfActor,
                    at: clock.now()
                )
                outcome.resealed = resealed
                outcome.entry = entry
                if store.isPurgePending {
                    logger.warning(
                        """
                        a reader kept the write-ahead log (keyrotd.db-wal), which may hold keys sealed under the old \
                        master key, from being truncated: keyrotd truncates it when it next starts
                        """
                    )
                }
            }
        } catch let error as DaemonError {
            throw error
        } catch let error as StoreError {
            switch error {
            case .databaseFailed, .refused, .databaseUnreachable:
                throw .storage(path: location, problem: "\(error)")
            case .wrongMasterKey:
                throw .rekey(
                    "neither the current master key nor the new one opens \(location): give the key the store was "
                        + "sealed with (--master-key-file, or the credential '\(DaemonOptions.credentialName)')"
                )
            default:
                throw .rekey(error.description)
            }
        } catch {
            throw .rekey("\(error)")
        }
        if options.development, options.masterKeyFile == nil {
            let file = Daemon.developmentMasterKeyFile(in: stateDirectory)
            try MasterKeyFile.replace(path: file, key: new)
            outcome.installedKeyFile = file
        }
        return outcome
    }
}

extension MasterKey {
    /// Whether `other` holds the same 32 bytes (compared in constant time).
    func isSameKey(as other: MasterKey) -> Bool {
        withUnsafeBytes { mine in other.withUnsafeBytes { theirs in ConstantTime.equals(mine, theirs) } }
    }
}
