-- keyrotd schema, version 2: the daemon's heartbeat.
--
-- Under a systemd watchdog keyrotd proves, before every WATCHDOG=1 ping, that it can still commit to this
-- database: it overwrites the single row below in a transaction of its own. When that commit fails (a full
-- disk, a read-only file system, an I/O error) the pings stop, STATUS= says why, and systemd restarts the
-- service. The row is bookkeeping, not history (the audit log holds the history): it tells an operator when
-- keyrotd last could write, and which process did.
CREATE TABLE heartbeat (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    at INTEGER NOT NULL,
    pid INTEGER NOT NULL
) STRICT;

--     sqlite3 /var/lib/keyrotd/keyrotd.db 'SELECT * FROM last_heartbeat'
CREATE VIEW last_heartbeat AS
SELECT strftime('%Y-%m-%dT%H:%M:%SZ', at, 'unixepoch') AS at, pid FROM heartbeat;
