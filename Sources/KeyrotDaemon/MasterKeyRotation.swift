import Foundation
import KeyrotCore
import KeyrotCrypto
import KeyrotStore
import Logging

#if canImport(Glibc)
import Glibc
#endif

/// `keyrotd rekey --new-master-key-file FILE`: re-seals every live key of a stopped keyrotd's database under a
/// new master key, in one audited transaction.
///
/// A crash at any moment leaves the database all under the old key or all under the new one; running the same
/// command again after a crash finishes the job (a database already under the new key is left as it is). In dev
/// mode the new key then replaces the state directory's `master.key`; otherwise the operator installs it where
/// keyrotd reads its master key.
public enum MasterKeyRotation {
    /// What a rekey did.
    public struct Outcome: Sendable {
        /// Keys re-sealed; nil when the database was under the new master key already.
        public var resealed: Int?
        /// The `master_key_rotated` audit row.
        public var entry: AuditEntry?
        /// The dev mode's master key file, now holding the new key.
        public var installedKeyFile: String?
    }

    /// Re-seals the database of the keyrotd that `options` describe (state directory, current master key) under
    /// the key in `newMasterKeyFile`.
    /// - Throws: ``DaemonError``: no database, the state directory in use by a running keyrotd, a master key that
    ///   opens nothing in the database, a new key equal to the old one, or the database failing.
    public static func run(
        options: DaemonOptions,
        newMasterKeyFile: String,
        clock: any WallClock,
        logger: Logger
    ) throws(DaemonError) -> Outcome {
        let stateDirectory = options.resolvedStateDirectory
        let databasePath = Daemon.databasePath(in: stateDirectory)
        guard FileManager.default.fileExists(atPath: databasePath) else {
            throw .rekey("no database at \(databasePath): check --state-dir (or --dev)")
        }
        try Daemon.requirePrivateStateDirectory(stateDirectory)
        let lock = try StateDirectoryLock(directory: stateDirectory)
        defer { withExtendedLifetime(lock) {} }
        let old = try Daemon.loadMasterKey(options, stateDirectory: stateDirectory, logger: logger, generate: false)
        let new = try MasterKeyFile.load(path: newMasterKeyFile)
        guard !old.isSameKey(as: new) else {
            throw .rekey(
                "the new master key in \(newMasterKeyFile) is the one in use: make a new one with (umask 077 && openssl rand -out FILE 32)"
            )
        }
        var outcome = Outcome()
        do {
            if (try? KeyStore(
                path: databasePath,
                sealer: MasterKeySealer(masterKey: new),
                sha3: SHA3.digest(bits:of:),
                now: clock.now()
            ))
                != nil
            {
                logger.notice("the database is sealed under the new master key already; nothing to re-seal")
            } else {
                let store = try KeyStore(
                    path: databasePath,
                    sealer: MasterKeySealer(masterKey: old),
                    sha3: SHA3.digest(bits:of:),
                    now: clock.now()
                )
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
        } catch {
            switch error {
            case .databaseFailed, .refused:
                throw .storage(path: databasePath, problem: "\(error)")
            case .wrongMasterKey(path: databasePath):
                throw .rekey(
                    "neither the current master key nor the new one opens \(databasePath): give the key the database "
                        + "was sealed with (--master-key-file, or the credential '\(DaemonOptions.credentialName)')"
                )
            default:
                throw .rekey(error.description)
            }
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
