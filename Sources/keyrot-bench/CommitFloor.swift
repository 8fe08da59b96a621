import Foundation
import GRDB

/// What SQLite itself gives on a file system: single-row `INSERT` commits in WAL mode with `synchronous=FULL`
/// (keyrotd's settings), one transaction each, back to back, on a WAL file grown once before (as a running daemon's
/// is). The floor a rotation's commit is compared with.
enum CommitFloor {
    /// Commits one row at a time to a fresh database in `directory` for `seconds`: every commit's latency, and the
    /// time they took.
    static func measure(in directory: String, seconds: Double) throws -> (samples: [Duration], elapsed: Duration) {
        let path = directory + "/commit-floor-\(UUID().uuidString).db"
        defer {
            for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
        }
        var configuration = Configuration()
        configuration.prepareDatabase { db in try db.execute(sql: "PRAGMA synchronous = FULL") }
        let queue = try DatabaseQueue(path: path, configuration: configuration)
        try queue.writeWithoutTransaction { db in
            _ = try String.fetchOne(db, sql: "PRAGMA journal_mode = WAL")
            try db.execute(sql: "CREATE TABLE floor (id INTEGER PRIMARY KEY, at INTEGER NOT NULL, payload BLOB)")
        }
        // Grow the WAL past the automatic checkpoint once, so the commits measured overwrite it from the start, as in
        // a daemon that has been running a while, instead of lengthening a new file at each commit.
        try queue.write { db in
            for _ in 0..<1100 {
                try db.execute(sql: "INSERT INTO floor (at, payload) VALUES (0, zeroblob(4000))")
            }
            try db.execute(sql: "DELETE FROM floor")
        }
        let payload = Data(repeating: 0x5A, count: 64)
        let clock = ContinuousClock()
        let start = clock.now
        var samples: [Duration] = []
        while clock.now - start < .seconds(seconds) {
            let begin = clock.now
            try queue.write { db in
                try db.execute(
                    sql: "INSERT INTO floor (at, payload) VALUES (?, ?)",
                    arguments: [samples.count, payload]
                )
            }
            samples.append(clock.now - begin)
        }
        return (samples, clock.now - start)
    }
}
