import Foundation
import GRDB

/// Watches a running daemon's audit log from outside, as an auditor's `sqlite3` shell would: a read-only
/// connection to the live database (WAL lets it read beside the daemon's writer).
struct AuditLogWatcher {
    private let queue: DatabaseQueue

    /// Opens `path` read-only.
    init(path: String) throws {
        var configuration = Configuration()
        configuration.readonly = true
        queue = try DatabaseQueue(path: path, configuration: configuration)
    }

    /// The newest sequence number (0 for an empty log).
    func lastSeq() throws -> Int64 {
        try queue.read { db in try Int64.fetchOne(db, sql: "SELECT coalesce(max(seq), 0) FROM audit_log") ?? 0 }
    }

    /// How many rows with `event` came after `seq`.
    func count(_ event: String, after seq: Int64) throws -> Int {
        try queue.read { db in
            try Int.fetchOne(
                db,
                sql: "SELECT count(*) FROM audit_log WHERE seq > ? AND event = ?",
                arguments: [seq, event]
            ) ?? 0
        }
    }
}
