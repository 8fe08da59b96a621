-- keyrotd schema, version 4: secrets made by a provider (Intercom, or a hook), rotated as recorded steps.
--
-- A workspace with a provider gets its secrets from the verifier that checks its tokens: a rotation asks the
-- provider for a secret (a job to create it), stores what the provider returns as the new active key, and asks the
-- provider to delete a key's secret once the key stops verifying (a job to delete it). The jobs are rows of
-- provider_jobs, written in the same transaction as the key change and the audit row that call for them, and
-- removed in the transaction that records them done, so a crash of keyrotd or of its provider agent resumes them.
-- Attempts, the next try and the last error are bookkeeping of the job row; they change no key and are not audited.
--
-- The provider's id of a key's secret is kept on the key (keys.provider_secret_id), so a deletion knows what to
-- delete, and a secret named like keyrotd's at the provider whose id no key carries is recognized as an orphan.

ALTER TABLE workspaces ADD COLUMN provider TEXT
    CHECK (provider IS NULL OR provider = 'intercom' OR (provider GLOB 'hook:/*' AND length(provider) <= 1029));

ALTER TABLE keys ADD COLUMN provider_secret_id TEXT
    CHECK (provider_secret_id IS NULL OR length(provider_secret_id) BETWEEN 1 AND 128);

CREATE TABLE provider_jobs (
    id INTEGER PRIMARY KEY,
    workspace_id INTEGER NOT NULL REFERENCES workspaces (id),
    kind TEXT NOT NULL CHECK (kind IN ('create', 'delete')),
    -- create: the id the new key gets (reserved); delete: the key whose secret goes.
    key_id TEXT NOT NULL CHECK (length(key_id) BETWEEN 1 AND 128),
    provider_secret_id TEXT CHECK ((provider_secret_id IS NOT NULL) = (kind = 'delete')),
    urgent INTEGER NOT NULL CHECK (urgent IN (0, 1)),
    attempts INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    not_before INTEGER NOT NULL,
    last_error TEXT CHECK (instr(CAST(last_error AS BLOB), x'00') = 0),
    -- The provider refused the credentials: not tried again until the configuration is reloaded.
    blocked INTEGER NOT NULL DEFAULT 0 CHECK (blocked IN (0, 1)),
    created_at INTEGER NOT NULL,
    UNIQUE (kind, key_id)
) STRICT;

-- At most one secret is being created per workspace: it becomes the workspace's next active key.
CREATE UNIQUE INDEX provider_jobs_one_creation_per_workspace ON provider_jobs (workspace_id) WHERE kind = 'create';

-- What the provider has yet to do, most urgent first:
--     sqlite3 /var/lib/keyrotd/keyrotd.db 'SELECT * FROM provider_work'
CREATE VIEW provider_work AS
SELECT
    w.name AS workspace,
    w.provider,
    j.kind,
    j.key_id,
    j.provider_secret_id,
    CASE j.urgent WHEN 1 THEN 'yes' ELSE 'no' END AS urgent,
    j.attempts,
    strftime('%Y-%m-%dT%H:%M:%SZ', j.not_before, 'unixepoch') AS next_attempt,
    CASE j.blocked WHEN 1 THEN 'until reload' ELSE 'no' END AS blocked,
    j.last_error,
    strftime('%Y-%m-%dT%H:%M:%SZ', j.created_at, 'unixepoch') AS created_at
FROM provider_jobs AS j JOIN workspaces AS w ON w.id = j.workspace_id
ORDER BY j.urgent DESC, j.kind = 'create', j.created_at;

-- The audit log takes the provider's events; rebuilt as in 0003_master_key_rotation.sql (rename, create, copy,
-- drop), every row copied unchanged, so the hash chain holds across the rebuild.

DROP VIEW rotation_history;
DROP VIEW audit_chain_breaks;
DROP VIEW audit_append;
ALTER TABLE audit_log RENAME TO audit_log_version_3;

CREATE TABLE audit_log (
    seq INTEGER PRIMARY KEY CHECK (seq >= 1),
    at INTEGER NOT NULL,
    workspace TEXT CHECK (
        instr(CAST(workspace AS BLOB), x'00') = 0 AND ((workspace IS NULL) = (event = 'master_key_rotated'))
    ),
    event TEXT NOT NULL CHECK (event IN (
        'workspace_created', 'workspace_updated', 'rotated', 'emergency_rotated',
        'leak_flagged', 'revoked', 'grace_expired', 'key_imported', 'master_key_rotated',
        'provider_secret_requested', 'provider_secret_created', 'provider_secret_deleted', 'provider_orphan_deleted'
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
FROM audit_log_version_3 ORDER BY seq;

DROP TABLE audit_log_version_3;

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
