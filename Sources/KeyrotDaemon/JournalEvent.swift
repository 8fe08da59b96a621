import KeyrotCore
import KeyrotSystemd

/// The kinds of event keyrotd sends to the journal: each has a fixed `MESSAGE_ID` (documented in
/// `systemd/keyrotd.catalog`, so `journalctl -x` explains it), a priority, and its name as `KEYROTD_EVENT`.
///
/// - Important: A `MESSAGE_ID` never changes once shipped: operators alert on it
///   (`journalctl MESSAGE_ID=9ab1…`). A new kind gets a new id (`systemd-id128 new`) and a catalog entry.
public enum JournalEvent: String, CaseIterable, Sendable {
    case workspaceCreated = "workspace_created"
    case workspaceUpdated = "workspace_updated"
    case keyImported = "key_imported"
    case masterKeyRotated = "master_key_rotated"
    case rotated
    case emergencyRotated = "emergency_rotated"
    case leakFlagged = "leak_flagged"
    case revoked
    case graceExpired = "grace_expired"
    case rotationFailed = "rotation_failed"
    case revokedKeyPresented = "revoked_key_presented"
    case storeUnhealthy = "store_unhealthy"
    case storeRecovered = "store_recovered"
    case reloadFailed = "reload_failed"
    case revocationPending = "revocation_pending"
    case auditJournalMismatch = "audit_journal_mismatch"
    case providerSecretRequested = "provider_secret_requested"
    case providerSecretCreated = "provider_secret_created"
    case providerSecretDeleted = "provider_secret_deleted"
    case providerOrphanDeleted = "provider_orphan_deleted"
    case providerCallFailed = "provider_call_failed"
    case leakedSecretStillAccepted = "leaked_secret_still_accepted"
    case started
    case stopping

    /// The fixed 128-bit `MESSAGE_ID`, 32 lowercase hex digits.
    public var messageID: String {
        switch self {
        case .workspaceCreated: "d0d29f610e36401c8a82872be507b389"
        case .workspaceUpdated: "40333632f58d4bbb9b258cd17815ecf8"
        case .keyImported: "46f221b491dc4520a2b1f991326ee748"
        case .masterKeyRotated: "8a35674f5a69477a8f68f41d0f7bcca4"
        case .rotated: "a64ff40cf2dc4a9db4909e06db3dca7d"
        case .emergencyRotated: "65adc242d4d542ce8397b8b6743360c3"
        case .leakFlagged: "b35435fde85c4699b13c32c538b3a677"
        case .revoked: "122508bd720a44d2849e0f3ba5bf8fa2"
        case .graceExpired: "a3f873ba1fa14d9fa5f4d47131a68ed0"
        case .rotationFailed: "6cac0cbde1c2489bbdec1c9eb373d193"
        case .revokedKeyPresented: "c3017a23f243483380385612383e6a85"
        case .storeUnhealthy: "7a04b1b4b7c84a29af698db7c5aea218"
        case .storeRecovered: "8a2e2aa8027f433f8353c624cfe7ba99"
        case .reloadFailed: "5feb38054aab41bfb3b0a92564d60eca"
        case .revocationPending: "645f35bf89d146fbacc71a12a623e522"
        case .auditJournalMismatch: "f953b2769d4e417c917fee3b8d0a1de3"
        case .providerSecretRequested: "8f13af911cd94c32b09653723465f346"
        case .providerSecretCreated: "dd913569b60b45c198a297144b652701"
        case .providerSecretDeleted: "eddbddcb652e46aaba809c1fc4d09bc5"
        case .providerOrphanDeleted: "1c3da14540524a1f840aa1b0599beb29"
        case .providerCallFailed: "d0186b93abdf4649ad7802b27bd722fa"
        case .leakedSecretStillAccepted: "aaeade77ca16464f99e3721d2bd88326"
        case .started: "2a05f9e23b924aa9bc52d26664ecec37"
        case .stopping: "3f7d09c6003446ec86318ce1dd16590f"
        }
    }

    /// How urgent it is: a leak, a revocation not yet durable, a leaked secret the provider still accepts and an
    /// audit log behind the journal are critical, a failure an error, a revoked key presented, an emergency or an
    /// orphan at the provider a warning, routine changes notices.
    public var priority: JournalPriority {
        switch self {
        case .leakFlagged, .revocationPending, .auditJournalMismatch, .leakedSecretStillAccepted: .critical
        case .rotationFailed, .storeUnhealthy, .reloadFailed, .providerCallFailed: .error
        case .emergencyRotated, .revoked, .revokedKeyPresented, .masterKeyRotated, .providerOrphanDeleted: .warning
        case .workspaceCreated, .workspaceUpdated, .keyImported, .rotated, .storeRecovered, .started, .stopping,
            .providerSecretCreated, .providerSecretDeleted:
            .notice
        case .graceExpired, .providerSecretRequested: .info
        }
    }

    /// The journal event for an audited change.
    public init(_ event: AuditEvent) {
        switch event {
        case .workspaceCreated: self = .workspaceCreated
        case .workspaceUpdated: self = .workspaceUpdated
        case .keyImported: self = .keyImported
        case .masterKeyRotated: self = .masterKeyRotated
        case .rotated: self = .rotated
        case .emergencyRotated: self = .emergencyRotated
        case .leakFlagged: self = .leakFlagged
        case .revoked: self = .revoked
        case .graceExpired: self = .graceExpired
        case .providerSecretRequested: self = .providerSecretRequested
        case .providerSecretCreated: self = .providerSecretCreated
        case .providerSecretDeleted: self = .providerSecretDeleted
        case .providerOrphanDeleted: self = .providerOrphanDeleted
        }
    }
}
