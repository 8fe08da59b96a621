/// The kinds of change keyrotd records in its audit log (and, later, sends to the journal as `KEYROTD_EVENT`).
public enum AuditEvent: String, CaseIterable, Sendable {
    case workspaceCreated = "workspace_created"
    case workspaceUpdated = "workspace_updated"
    case rotated
    case emergencyRotated = "emergency_rotated"
    case leakFlagged = "leak_flagged"
    case revoked
    case graceExpired = "grace_expired"
    case keyImported = "key_imported"
    /// Every live key was re-sealed under a new master key (`keyrotd rekey`); concerns no single workspace.
    case masterKeyRotated = "master_key_rotated"
}
