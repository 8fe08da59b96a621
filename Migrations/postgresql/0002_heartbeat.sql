-- keyrotd schema, version 2, in PostgreSQL's dialect: the daemons' heartbeats (../0002_heartbeat.sql).
--
-- Under a systemd watchdog each keyrotd proves, before every WATCHDOG=1 ping, that it can still commit to this
-- database: it overwrites its own row below in a transaction of its own. Several hosts share a PostgreSQL store, so
-- there is a row per host (SQLite's table has one row). Bookkeeping, not history.
CREATE TABLE heartbeat (
    node text PRIMARY KEY,
    at bigint NOT NULL,
    pid bigint NOT NULL
);

--     psql postgresql://keyrotd@db/keyrotd -c 'SELECT * FROM last_heartbeat'
CREATE VIEW last_heartbeat AS
SELECT node, keyrot_iso8601(at) AS at, pid FROM heartbeat ORDER BY node;
