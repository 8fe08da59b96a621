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
    /// A new secret was asked of the workspace's provider (the rotation's first step); `key_id` is the id it gets.
    case providerSecretRequested = "provider_secret_requested"
    /// The provider made the secret and keyrotd stored it as key `key_id`; `detail` has the provider's id.
    case providerSecretCreated = "provider_secret_created"
    /// Key `key_id`'s secret was deleted at the provider: tokens made with it no longer verify there.
    case providerSecretDeleted = "provider_secret_deleted"
    /// A secret keyrotd created at the provider but never stored (the answer was lost) was found and deleted.
    case providerOrphanDeleted = "provider_orphan_deleted"
}
