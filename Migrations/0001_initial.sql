-- keyrotd schema, version 1: workspaces, their keys, and the append-only, hash-chained audit log.
--
-- This file is the schema's source of truth; it is embedded in the keyrotd binary at build time and never
-- edited once shipped (a change is a new NNNN_name.sql file). Times are whole seconds since the Unix epoch,
-- UTC; the views show them as ISO-8601 text. Tables are STRICT, so a value of the wrong type is refused.

-- Which migration files built this database, with the SHA3-256 of their text: keyrotd refuses a database whose
-- migrations differ from the ones it carries (an edited migration would otherwise go unnoticed).
CREATE TABLE schema_migrations (
    version INTEGER PRIMARY KEY,
    file_name TEXT NOT NULL,
    sha3 TEXT NOT NULL,
    applied_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
) STRICT;

CREATE TABLE workspaces (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE
        CHECK (length(name) BETWEEN 1 AND 64 AND name NOT GLOB '*[^a-z0-9_-]*' AND name GLOB '[a-z0-9]*'),
    algorithm TEXT NOT NULL CHECK (algorithm IN ('HS256', 'HS384', 'HS512')),
    rotate_every_seconds INTEGER NOT NULL CHECK (rotate_every_seconds >= 1),
    grace_seconds INTEGER NOT NULL CHECK (grace_seconds >= 0),
    token_ttl_seconds INTEGER NOT NULL CHECK (token_ttl_seconds >= 1),
    max_token_ttl_seconds INTEGER NOT NULL CHECK (max_token_ttl_seconds >= token_ttl_seconds),
    require_kid INTEGER NOT NULL DEFAULT 0 CHECK (require_kid IN (0, 1)),
    clock_skew_seconds INTEGER NOT NULL DEFAULT 60 CHECK (clock_skew_seconds >= 0),
    -- Who may sign and verify besides administrators: comma-separated uid:N and group:NAME entries.
    signers TEXT NOT NULL DEFAULT '' CHECK (signers NOT GLOB '*[^a-zA-Z0-9:,._-]*'),
    created_at INTEGER NOT NULL
) STRICT;

-- One row per key, kept forever. Material is sealed (AES-256-GCM under the master key, with the workspace
-- and key id as associated data) and exists only while the key may still verify: retiring or revoking a key
-- sets sealed_secret to NULL in the same transaction (crypto-shredding; secure_delete is on).
CREATE TABLE keys (
    id INTEGER PRIMARY KEY,
    workspace_id INTEGER NOT NULL REFERENCES workspaces (id),
    key_id TEXT NOT NULL UNIQUE CHECK (length(key_id) BETWEEN 1 AND 128),
    generation INTEGER NOT NULL CHECK (generation >= 1),
    -- The algorithm the key signs and verifies with: the workspace's when the key was made.
    algorithm TEXT NOT NULL CHECK (algorithm IN ('HS256', 'HS384', 'HS512')),
    state TEXT NOT NULL CHECK (state IN ('pending', 'active', 'grace', 'retired', 'revoked')),
    leaked INTEGER NOT NULL DEFAULT 0 CHECK (leaked IN (0, 1) AND (leaked = 0 OR state = 'revoked')),
    sealed_secret BLOB CHECK ((sealed_secret IS NOT NULL) = (state IN ('pending', 'active', 'grace'))),
    created_at INTEGER NOT NULL,
    activated_at INTEGER CHECK (state NOT IN ('active', 'grace') OR activated_at IS NOT NULL),
    grace_until INTEGER CHECK (state <> 'grace' OR grace_until IS NOT NULL),
    retired_at INTEGER CHECK ((state = 'retired') = (retired_at IS NOT NULL)),
    revoked_at INTEGER CHECK ((state = 'revoked') = (revoked_at IS NOT NULL)),
    -- The latest exp any token signed with this key may carry; grace never ends before it.
    tokens_valid_until INTEGER,
    UNIQUE (workspace_id, generation)
) STRICT;

-- At most one active key per workspace: the key that signs.
CREATE UNIQUE INDEX keys_one_active_per_workspace ON keys (workspace_id) WHERE state = 'active';
CREATE INDEX keys_live ON keys (workspace_id, state) WHERE state IN ('pending', 'active', 'grace');

-- A retired or revoked key never comes back, and no key or workspace row is ever deleted.
CREATE TRIGGER keys_final_states_are_final BEFORE UPDATE OF state ON keys
WHEN OLD.state IN ('retired', 'revoked') AND NEW.state <> OLD.state
BEGIN
    SELECT RAISE(ABORT, 'a retired or revoked key cannot change state');
END;
CREATE TRIGGER keys_are_never_deleted BEFORE DELETE ON keys
BEGIN
    SELECT RAISE(ABORT, 'keys are never deleted; retire or revoke them');
END;
CREATE TRIGGER workspaces_are_never_deleted BEFORE DELETE ON workspaces
BEGIN
    SELECT RAISE(ABORT, 'workspaces are never deleted');
END;

-- The master-key canary: a known value sealed under the master key when the database was made. A daemon that
-- cannot open it holds the wrong master key and refuses to start, before it writes anything.
CREATE TABLE master_key_canary (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    sealed BLOB NOT NULL,
    created_at INTEGER NOT NULL
) STRICT;

-- The audit log: one row per change, appended in the transaction that makes the change, never updated or
-- deleted. Workspace and key ids are kept as text so the history reads without joins.
CREATE TABLE audit_log (
    seq INTEGER PRIMARY KEY CHECK (seq >= 1),
    at INTEGER NOT NULL,
    workspace TEXT NOT NULL CHECK (instr(CAST(workspace AS BLOB), x'00') = 0),
    event TEXT NOT NULL CHECK (event IN (
        'workspace_created', 'workspace_updated', 'rotated', 'emergency_rotated',
        'leak_flagged', 'revoked', 'grace_expired', 'key_imported'
    )),
    key_id TEXT CHECK (instr(CAST(key_id AS BLOB), x'00') = 0),
    previous_key_id TEXT CHECK (instr(CAST(previous_key_id AS BLOB), x'00') = 0),
    reason TEXT CHECK (instr(CAST(reason AS BLOB), x'00') = 0),
    detail TEXT CHECK (instr(CAST(detail AS BLOB), x'00') = 0),
    actor_uid INTEGER NOT NULL,
    actor_pid INTEGER NOT NULL,
    hash BLOB NOT NULL CHECK (length(hash) = 32)
) STRICT;

CREATE TRIGGER audit_log_rejects_update BEFORE UPDATE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;
CREATE TRIGGER audit_log_rejects_delete BEFORE DELETE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;

-- The hash chain. Row n's hash is
--
--     sha3(H || '|' || q(seq) || '|' || q(at) || '|' || q(workspace) || '|' || q(event) || '|' || q(key_id)
--            || '|' || q(previous_key_id) || '|' || q(reason) || '|' || q(detail)
--            || '|' || q(actor_uid) || '|' || q(actor_pid), 256)
--
-- where q(x) is quote(CAST(x AS BLOB)) -- the value's bytes as an SQL blob literal, X'6163...', or NULL -- and
-- H is hex(hash) of row n-1 (uppercase, as SQLite's hex() writes it), '' for row 1. Blob literals make the text
-- unambiguous whatever a value contains (quotes, '|', even NUL) and whatever type it was stored as. sha3(X, 256)
-- is the SHA3-256 of that text, exactly as the sqlite3 shell's built-in sha3() computes it; keyrotd registers an
-- OpenSSL-backed sha3() with the same meaning. Rows are written only through the audit_append view below, whose
-- trigger computes the hash; audit_chain_breaks recomputes every link.

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

-- Every key's state in plain words, newest first within a workspace.
CREATE VIEW key_status AS
SELECT
    w.name AS workspace,
    k.key_id,
    k.state,
    k.algorithm,
    CASE k.leaked WHEN 1 THEN 'yes' ELSE 'no' END AS leaked,
    strftime('%Y-%m-%dT%H:%M:%SZ', k.created_at, 'unixepoch') AS created_at,
    strftime('%Y-%m-%dT%H:%M:%SZ', k.activated_at, 'unixepoch') AS activated_at,
    strftime('%Y-%m-%dT%H:%M:%SZ', k.grace_until, 'unixepoch') AS grace_until,
    strftime('%Y-%m-%dT%H:%M:%SZ', k.retired_at, 'unixepoch') AS retired_at,
    strftime('%Y-%m-%dT%H:%M:%SZ', k.revoked_at, 'unixepoch') AS revoked_at,
    CASE WHEN k.sealed_secret IS NULL THEN 'destroyed' ELSE 'sealed' END AS material
FROM keys AS k JOIN workspaces AS w ON w.id = k.workspace_id
ORDER BY w.name, k.generation DESC;
