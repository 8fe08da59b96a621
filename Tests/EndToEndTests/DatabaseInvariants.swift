/// What must hold of keyrotd's database at every moment a reader can see it (and after any crash): SQL that
/// returns one row per violated invariant, so all of them empty means the database is whole. The same SQL runs on
/// the SQLite store and the PostgreSQL store (a boolean column is compared as `CAST(… AS INTEGER)`, which reads the
/// same in both), beside SQLite's own integrity check.
///
/// The last query assumes the workspace `tick` rotates on the scheduler alone, every second.
enum DatabaseInvariants {
    static let sqliteIntegrity =
        "SELECT 'integrity: ' || integrity_check FROM pragma_integrity_check WHERE integrity_check <> 'ok'"

    static let queries = [
        "SELECT 'chain broken at ' || seq || ': ' || problem FROM audit_chain_breaks",
        """
        SELECT 'not exactly one active key: ' || w.name FROM workspaces AS w
        WHERE (SELECT count(*) FROM keys AS k WHERE k.workspace_id = w.id AND k.state = 'active') <> 1
        """,
        """
        SELECT 'key without the audit row that made it: ' || k.key_id FROM keys AS k WHERE NOT EXISTS (
            SELECT 1 FROM audit_log AS a WHERE a.key_id = k.key_id
            AND a.event IN ('workspace_created', 'key_imported', 'rotated', 'emergency_rotated'))
        """,
        """
        SELECT 'signing or verifying key never activated in the log: ' || k.key_id FROM keys AS k
        WHERE k.state IN ('active', 'grace') AND NOT EXISTS (
            SELECT 1 FROM audit_log AS a WHERE a.key_id = k.key_id
            AND a.event IN ('workspace_created', 'rotated', 'emergency_rotated'))
        """,
        """
        SELECT 'audit row ' || a.seq || ' names a key that is not there' FROM audit_log AS a
        WHERE (a.key_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM keys AS k WHERE k.key_id = a.key_id))
        OR (a.previous_key_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM keys AS k WHERE k.key_id = a.previous_key_id))
        """,
        """
        SELECT 'rotated away in row ' || a.seq || ' but still ' || p.state FROM audit_log AS a
        JOIN keys AS p ON p.key_id = a.previous_key_id
        WHERE (a.event = 'rotated' AND p.state IN ('active', 'pending'))
        OR (a.event = 'emergency_rotated' AND p.state <> 'revoked')
        """,
        """
        SELECT 'revoked in row ' || a.seq || ' but ' || k.state FROM audit_log AS a JOIN keys AS k ON k.key_id = a.key_id
        WHERE a.event IN ('revoked', 'leak_flagged')
        AND (k.state <> 'revoked' OR (a.event = 'leak_flagged' AND CAST(k.leaked AS INTEGER) = 0))
        """,
        """
        SELECT 'state ' || k.state || ' without its audit row: ' || k.key_id FROM keys AS k
        WHERE (k.state = 'revoked' AND NOT EXISTS (SELECT 1 FROM audit_log AS a WHERE
                (a.key_id = k.key_id AND a.event IN ('revoked', 'leak_flagged'))
                OR (a.previous_key_id = k.key_id AND a.event = 'emergency_rotated')))
        OR (CAST(k.leaked AS INTEGER) = 1 AND NOT EXISTS (
                SELECT 1 FROM audit_log AS a WHERE a.key_id = k.key_id AND a.event = 'leak_flagged'))
        OR (k.state = 'grace' AND NOT EXISTS (
                SELECT 1 FROM audit_log AS a WHERE a.previous_key_id = k.key_id AND a.event = 'rotated'))
        OR (k.state = 'retired' AND NOT EXISTS (
                SELECT 1 FROM audit_log AS a WHERE a.key_id = k.key_id AND a.event = 'grace_expired'))
        """,
        // tick rotates every second on the scheduler alone: a rotation before its key was a second old means a
        // catch-up ran twice (or a rotation ran early).
        """
        SELECT 'scheduled rotation ' || a.seq || ' came before its key was due' FROM audit_log AS a
        JOIN keys AS p ON p.key_id = a.previous_key_id
        WHERE a.workspace = 'tick' AND a.event = 'rotated' AND a.at < p.activated_at + 1
        """,
    ]

    /// All of them in one script for the sqlite3 shell (with SQLite's integrity check) or for psql, each violation as
    /// a line `V|...`.
    static func script(sqlite: Bool) -> String {
        ((sqlite ? [sqliteIntegrity] : []) + queries)
            .map { "WITH violation(v) AS (\($0)) SELECT 'V|' || v FROM violation;" }.joined(separator: "\n")
    }
}
