-- keyrotd schema, version 3, in PostgreSQL's dialect: master-key rotation (../0003_master_key_rotation.sql).
--
-- `keyrotd rekey` re-seals every key under a new master key and records it in the audit log as
-- `master_key_rotated`, an event of the whole store: its row names no workspace. SQLite rebuilds the table to change
-- its checks; PostgreSQL changes them in place, and the rows and their hashes stay as they are.
ALTER TABLE audit_log ALTER COLUMN workspace DROP NOT NULL;
ALTER TABLE audit_log ADD CONSTRAINT audit_log_workspace_check
    CHECK ((workspace IS NULL) = (event = 'master_key_rotated'));
ALTER TABLE audit_log DROP CONSTRAINT audit_log_event_check;
ALTER TABLE audit_log ADD CONSTRAINT audit_log_event_check CHECK (event IN (
    'workspace_created', 'workspace_updated', 'rotated', 'emergency_rotated',
    'leak_flagged', 'revoked', 'grace_expired', 'key_imported', 'master_key_rotated'
));
