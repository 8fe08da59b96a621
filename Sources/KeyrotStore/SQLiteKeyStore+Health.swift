import Foundation
import GRDB
import KeyrotCore

#if canImport(Glibc)
import Glibc
#endif

extension SQLiteKeyStore {
    /// Fails unless the file at ``path`` is still the one opened (not removed, not replaced).
    /// - Throws: ``StoreError/databaseFileGone(path:)`` or ``StoreError/databaseFileReplaced(path:)``.
    func requireOpenedFile() throws(StoreError) {
        guard let identity = FileIdentity(path: path) else { throw .databaseFileGone(path: path) }
        guard identity == fileIdentity else { throw .databaseFileReplaced(path: path) }
    }

    /// Proves the store still works at `now`: the database file is still the one opened, its directory can take
    /// new files (SQLite's `-wal` and `-shm`), and a commit goes through — it overwrites the `heartbeat` row
    /// with `now` and `pid` in a transaction of its own. A purge of destroyed material that a reader held up is
    /// tried again.
    ///
    /// The heartbeat changes nothing a reader caches: no ``revision(of:)`` moves.
    /// - Throws: ``StoreError/databaseFileGone(path:)``, ``StoreError/databaseFileReplaced(path:)``,
    ///   ``StoreError/directoryNotWritable(path:problem:)`` or ``StoreError/cannotCommit(path:problem:)``.
    public func checkHealth(at now: Timestamp, pid: Int64) throws(StoreError) {
        try requireOpenedFile()
        let directory = (path as NSString).deletingLastPathComponent
        if access(directory, W_OK) != 0 {
            throw .directoryNotWritable(path: directory, problem: String(cString: strerror(errno)))
        }
        do {
            try pool.write { db in
                try db.execute(
                    sql: """
                        INSERT INTO heartbeat (id, at, pid) VALUES (1, ?, ?)
                        ON CONFLICT (id) DO UPDATE SET at = excluded.at, pid = excluded.pid
                        """,
                    arguments: [now.secondsSinceEpoch, pid]
                )
            }
        } catch {
            throw .cannotCommit(path: path, problem: StoreError(error).description)
        }
        if isPurgePending { purgeDestroyedMaterial() }
    }
}
