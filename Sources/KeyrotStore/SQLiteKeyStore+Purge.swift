import GRDB

extension SQLiteKeyStore {
    /// Leaves no copy of destroyed key material in any file of the database. Deleted content in the database file
    /// is overwritten with zeros as it is freed (`secure_delete`), but the write-ahead log keeps the old images of
    /// every page it carried, the key's sealed blob among them, until it is checkpointed; so it is checkpointed
    /// into the database and truncated to nothing.
    ///
    /// A reader in the log (a token check's read, an auditor's `sqlite3` session) keeps it from being truncated: then
    /// ``isPurgePending`` says so and ``checkHealth(at:pid:)``, every few seconds, tries again.
    func purgeDestroyedMaterial() {
        // The flag is set inside the writer, which runs one purge at a time: a purge that failed cannot be
        // overwritten by an earlier one that succeeded.
        try? pool.writeWithoutTransaction { db in
            // Waiting for readers would hold up every write (readers must never stall a rotation): with a reader
            // in the log, the truncation fails at once and waits for the next health check.
            try db.execute(sql: "PRAGMA busy_timeout = 0")
            defer { try? db.execute(sql: "PRAGMA busy_timeout = \(SQLiteKeyStore.busyTimeoutMilliseconds)") }
            do {
                _ = try db.checkpoint(.truncate)
                purgePending.store(false, ordering: .releasing)
            } catch {
                purgePending.store(true, ordering: .releasing)
            }
        }
    }

    /// Whether destroyed key material may still be in the write-ahead log, its truncation having been kept
    /// from completing by a reader.
    public var isPurgePending: Bool { purgePending.load(ordering: .acquiring) }
}
