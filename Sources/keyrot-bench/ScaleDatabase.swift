import Foundation
import KeyrotCore
import KeyrotCrypto
import KeyrotStore

/// Builds a database of many workspaces the way a deployment gets them: one `createWorkspace` transaction each
/// (what `keyrotctl workspace add` and the `CreateWorkspace` call run), through keyrotd's own ``KeyStore``, so the
/// file holds exactly what the product writes: sealed keys, audit rows, the hash chain.
///
/// - Important: It is built in a scratch directory meant to be on tmpfs, where a `synchronous=FULL` commit costs
///   no disk flush (100 000 flushed commits would take minutes here), and then copied, closed and whole, to the
///   state directory the daemon is started on.
final class ScaleDatabase {
    private var store: SQLiteKeyStore?
    private let scratchPath: String
    private let actor = AuditActor(uid: Int64(getuid()), pid: Int64(getpid()))

    /// Opens (creating) the scratch database in `scratchDirectory`, sealed under `masterKey`.
    init(scratchDirectory: String, masterKey: MasterKey, now: Timestamp) throws {
        scratchPath = scratchDirectory + "/keyrotd.db"
        store = try SQLiteKeyStore(
            path: scratchPath,
            sealer: MasterKeySealer(masterKey: masterKey),
            sha3: SHA3.digest(bits:of:),
            now: now
        )
    }

    /// The workspace name for number `index`: `tenant-000042`.
    static func name(_ index: Int) -> WorkspaceName {
        try! WorkspaceName("tenant-" + String(repeating: "0", count: max(0, 6 - String(index).count)) + String(index))
    }

    /// Creates workspaces `indices` with `policy`, workspace `i` created (its first key activated) at `createdAt(i)`.
    func createWorkspaces(
        _ indices: Range<Int>,
        policy: WorkspacePolicy,
        createdAt: (Int) -> Timestamp
    ) throws {
        guard let store else { return }
        for index in indices {
            try store.createWorkspace(
                Self.name(index),
                policy: policy,
                at: createdAt(index),
                actor: actor,
                reason: "keyrot-bench scale"
            )
        }
    }

    /// Closes the database (SQLite folds its WAL back in) and copies the file to `stateDirectory/keyrotd.db`,
    /// flushed to disk; returns its size in bytes.
    @discardableResult
    func install(inStateDirectory stateDirectory: String) throws -> Int {
        store = nil
        let target = stateDirectory + "/keyrotd.db"
        // The owner's alone, or keyrotd refuses it.
        try FileManager.default.createDirectory(
            atPath: stateDirectory,
            withIntermediateDirectories: true,
            attributes: [.posixPermissions: 0o700]
        )
        for suffix in ["-wal", "-shm"] { try? FileManager.default.removeItem(atPath: target + suffix) }
        for suffix in ["", "-wal"] where FileManager.default.fileExists(atPath: scratchPath + suffix) {
            try? FileManager.default.removeItem(atPath: target + suffix)
            try FileManager.default.copyItem(atPath: scratchPath + suffix, toPath: target + suffix)
            // On disk before the daemon starts, so no write-back of the copy runs beside what is measured.
            try FileHandle(forUpdating: URL(fileURLWithPath: target + suffix)).synchronize()
        }
        let attributes = try FileManager.default.attributesOfItem(atPath: target)
        return (attributes[.size] as? Int) ?? 0
    }
}
