import Foundation
import GRDB

/// Watches a running daemon's audit log from outside, as an auditor's `sqlite3` shell would: a read-only
/// connection to the live database (WAL lets it read beside the daemon's writer).
struct AuditLogWatcher {
    /// One audit row, as much of it as the benchmarks read.
    struct Entry {
        var seq: Int64
        /// When the daemon says it happened, in whole seconds since the epoch.
        var at: Int64
        var workspace: String
    }

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

    /// The rows with `event` after `seq`, oldest first.
    func entries(_ event: String, after seq: Int64) throws -> [Entry] {
        try queue.read { db in
            try Array(
                Row.fetchCursor(
                    db,
                    sql: "SELECT seq, at, workspace FROM audit_log WHERE seq > ? AND event = ? ORDER BY seq",
                    arguments: [seq, event]
                )
                .map { Entry(seq: $0[0], at: $0[1], workspace: $0[2]) }
            )
        }
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
