-- keyrotd schema, version 3: master-key rotation is audited.
--
-- `keyrotd rekey --new-master-key-file FILE` re-seals every live key and the canary under a new master key in one
-- transaction, and records it in the audit log as event 'master_key_rotated'. That event concerns no single
-- workspace, so its row has workspace NULL (every other event still names its workspace), key_id NULL, and the
-- number of keys re-sealed in detail.
--
-- SQLite cannot change a CHECK constraint in place, so audit_log is rebuilt the documented way (rename, create,
-- copy, drop): every row is copied unchanged, seq and hash included, so the hash chain of version 1 (its formula
-- is in 0001_initial.sql; quote(CAST(NULL AS BLOB)) is 'NULL') holds across the rebuild, and the views and
-- triggers that read or guard audit_log are made again with the same text. The append-only triggers are dropped
-- with the old table only after its rows are in the new one, inside this migration's transaction.

DROP VIEW rotation_history;
DROP VIEW audit_chain_breaks;
DROP VIEW audit_append;
ALTER TABLE audit_log RENAME TO audit_log_version_1;

CREATE TABLE audit_log (
    seq INTEGER PRIMARY KEY CHECK (seq >= 1),
    at INTEGER NOT NULL,
    workspace TEXT CHECK (
        instr(CAST(workspace AS BLOB), x'00') = 0 AND ((workspace IS NULL) = (event = 'master_key_rotated'))
    ),
    event TEXT NOT NULL CHECK (event IN (
        'workspace_created', 'workspace_updated', 'rotated', 'emergency_rotated',
        'leak_flagged', 'revoked', 'grace_expired', 'key_imported', 'master_key_rotated'
    )),
    key_id TEXT CHECK (instr(CAST(key_id AS BLOB), x'00') = 0),
    previous_key_id TEXT CHECK (instr(CAST(previous_key_id AS BLOB), x'00') = 0),
    reason TEXT CHECK (instr(CAST(reason AS BLOB), x'00') = 0),
    detail TEXT CHECK (instr(CAST(detail AS BLOB), x'00') = 0),
    actor_uid INTEGER NOT NULL,
    actor_pid INTEGER NOT NULL,
    hash BLOB NOT NULL CHECK (length(hash) = 32)
) STRICT;

INSERT INTO audit_log (seq, at, workspace, event, key_id, previous_key_id, reason, detail, actor_uid, actor_pid, hash)
SELECT seq, at, workspace, event, key_id, previous_key_id, reason, detail, actor_uid, actor_pid, hash
FROM audit_log_version_1 ORDER BY seq;

DROP TABLE audit_log_version_1;

CREATE TRIGGER audit_log_rejects_update BEFORE UPDATE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;
CREATE TRIGGER audit_log_rejects_delete BEFORE DELETE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;

CREATE VIEW audit_append AS
SELECT at, workspace, event, key_id, previous_key_id, reason, detail, actor_uid, actor_pid FROM audit_log;

CREATE TRIGGER audit_append_links_the_chain INSTEAD OF INSERT ON audit_append
BEGIN
    INSERT INTO audit_log (
        seq, at, workspace, event, key_id, previous_key_id, reason, detail, actor_uid, actor_pid, hash
    )
    SELECT
        coalesce(last.seq, 0) + 1, NEW.at, NEW.workspace, NEW.event, NEW.key_id, NEW.previous_key_id,
        NEW.reason, NEW.detail, NEW.actor_uid, NEW.actor_pid,
        sha3(
            coalesce(hex(last.hash), '') || '|' || quote(CAST(coalesce(last.seq, 0) + 1 AS BLOB))
            || '|' || quote(CAST(NEW.at AS BLOB)) || '|' || quote(CAST(NEW.workspace AS BLOB))
            || '|' || quote(CAST(NEW.event AS BLOB)) || '|' || quote(CAST(NEW.key_id AS BLOB))
            || '|' || quote(CAST(NEW.previous_key_id AS BLOB)) || '|' || quote(CAST(NEW.reason AS BLOB))
            || '|' || quote(CAST(NEW.detail AS BLOB)) || '|' || quote(CAST(NEW.actor_uid AS BLOB))
            || '|' || quote(CAST(NEW.actor_pid AS BLOB)),
            256
        )
    FROM (SELECT 1) LEFT JOIN (SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1) AS last;
END;

-- One row per broken link; zero rows means the whole history is intact:
--     sqlite3 /var/lib/keyrotd/keyrotd.db 'SELECT count(*) FROM audit_chain_breaks'
CREATE VIEW audit_chain_breaks AS
WITH linked AS (
    SELECT
        a.*,
        lag(a.seq) OVER (ORDER BY a.seq) AS previous_seq,
        lag(a.hash) OVER (ORDER BY a.seq) AS previous_hash
    FROM audit_log AS a
),
recomputed AS (
    SELECT
        linked.*,
        sha3(
            coalesce(hex(previous_hash), '') || '|' || quote(CAST(seq AS BLOB))
            || '|' || quote(CAST(at AS BLOB)) || '|' || quote(CAST(workspace AS BLOB))
            || '|' || quote(CAST(event AS BLOB)) || '|' || quote(CAST(key_id AS BLOB))
            || '|' || quote(CAST(previous_key_id AS BLOB)) || '|' || quote(CAST(reason AS BLOB))
            || '|' || quote(CAST(detail AS BLOB)) || '|' || quote(CAST(actor_uid AS BLOB))
            || '|' || quote(CAST(actor_pid AS BLOB)),
            256
        ) AS expected_hash
    FROM linked
)
SELECT
    seq,
    CASE
        WHEN seq <> coalesce(previous_seq, 0) + 1 THEN 'rows missing before this one'
        ELSE 'row or its predecessor changed'
    END AS problem,
    lower(hex(hash)) AS stored_hash,
    lower(hex(expected_hash)) AS expected_hash
FROM recomputed
WHERE seq <> coalesce(previous_seq, 0) + 1 OR hash IS NOT expected_hash;

-- The history an auditor reads.
CREATE VIEW rotation_history AS
SELECT
    seq,
    strftime('%Y-%m-%dT%H:%M:%SZ', at, 'unixepoch') AS at,
    workspace,
    event,
    key_id,
    previous_key_id,
    reason,
    actor_uid,
    actor_pid,
    detail,
    lower(hex(hash)) AS chain_hash
FROM audit_log
ORDER BY seq;
