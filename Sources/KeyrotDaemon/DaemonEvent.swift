import KeyrotCore
import KeyrotSystemd
import Logging

/// One thing that happened which an operator may alert on: an audited change, or a failure, a revoked key
/// presented, the store's health, a start or a stop. It renders as a journal entry with a fixed `MESSAGE_ID`
/// and as a log line.
///
/// - Important: Nothing secret is in an event: key ids, workspace names, reasons and error descriptions only.
public struct DaemonEvent: Hashable, Sendable {
    public var kind: JournalEvent
    public var message: String
    public var workspace: WorkspaceName?
    public var keyID: String?
    public var previousKeyID: String?
    public var reason: String?
    public var actor: AuditActor?
    /// The audit row this event is (audited changes only).
    public var auditSeq: Int64?
    /// The audit chain's hash after this event: its own row's, or the newest row's at the time.
    public var auditHash: String?
    /// The database whose chain ``auditHash`` is of (its path): what the journal's hashes are compared with.
    public var database: String?

    /// The journal field naming the database.
    public static let databaseField = "KEYROTD_DATABASE"

    public init(
        _ kind: JournalEvent,
        _ message: String,
        workspace: WorkspaceName? = nil,
        keyID: String? = nil,
        previousKeyID: String? = nil,
        reason: String? = nil,
        actor: AuditActor? = nil
    ) {
        self.kind = kind
        self.message = message
        self.workspace = workspace
        self.keyID = keyID
        self.previousKeyID = previousKeyID
        self.reason = reason
        self.actor = actor
    }

    /// The event for an audit row.
    public init(_ entry: AuditEntry) {
        let workspace = entry.workspace.map(\.rawValue) ?? "-"
        let key = entry.keyID ?? "-"
        let because = entry.reason.map { ": \($0)" } ?? ""
        let message =
            switch entry.event {
            case .workspaceCreated:
                entry.keyID == nil
                    ? "workspace \(workspace) created; its first key comes from its provider"
                    : "workspace \(workspace) created with key \(key)"
            case .workspaceUpdated: "workspace \(workspace) changed: \(entry.detail ?? "policy updated")"
            case .keyImported: "key \(key) imported into workspace \(workspace)"
            case .rotated:
                "workspace \(workspace) rotated to key \(key); \(entry.previousKeyID ?? "the previous key") "
                    + "verifies until its grace window ends"
            case .emergencyRotated:
                "workspace \(workspace) emergency-rotated to key \(key); \(entry.previousKeyID ?? "the previous key") "
                    + "is revoked\(because)"
            case .leakFlagged: "key \(key) of workspace \(workspace) flagged as leaked and revoked\(because)"
            case .revoked: "key \(key) of workspace \(workspace) revoked\(because)"
            case .graceExpired: "key \(key) of workspace \(workspace) retired: its grace window ended"
            case .masterKeyRotated: "master key rotated: \(entry.detail ?? "every live key re-sealed")"
            case .providerSecretRequested:
                "workspace \(workspace) asked its provider for a new secret, to become key \(key)\(because)"
            case .providerSecretCreated:
                "workspace \(workspace) stored its provider's new secret as key \(key) (\(entry.detail ?? ""))"
            case .providerSecretDeleted:
                "the secret of key \(key) of workspace \(workspace) was deleted at its provider (\(entry.detail ?? ""))"
            case .providerOrphanDeleted:
                "workspace \(workspace): a secret created at its provider but never stored was deleted there "
                    + "(\(entry.detail ?? ""))"
            }
        self.init(
            JournalEvent(entry.event),
            message,
            workspace: entry.workspace,
            keyID: entry.keyID,
            previousKeyID: entry.previousKeyID,
            reason: entry.reason,
            actor: entry.actor
        )
        auditSeq = entry.seq
        auditHash = entry.chainHash
    }

    /// The structured journal entry: `MESSAGE_ID`, `MESSAGE`, `PRIORITY`, `SYSLOG_IDENTIFIER=keyrotd` and the
    /// `KEYROTD_*` fields that are known.
    public var journalEntry: JournalEntry {
        var entry = JournalEntry(message: message, priority: kind.priority)
        entry.append("MESSAGE_ID", kind.messageID)
        entry.append("SYSLOG_IDENTIFIER", "keyrotd")
        for (name, value) in fields { entry.append(name, value) }
        return entry
    }

    /// The same fields as log metadata (`keyrot.workspace`, ...).
    public var logMetadata: Logger.Metadata {
        var metadata: Logger.Metadata = [:]
        for (name, value) in fields {
            metadata["keyrot." + name.dropFirst("KEYROTD_".count).lowercased()] = "\(value)"
        }
        return metadata
    }

    /// Every field name an event may carry (what a catalog entry may quote as `@NAME@`).
    public static let fieldNames: Set<String> = [
        "MESSAGE", "MESSAGE_ID", "PRIORITY", "SYSLOG_IDENTIFIER", "KEYROTD_EVENT", "KEYROTD_WORKSPACE",
        "KEYROTD_KEY_ID", "KEYROTD_PREVIOUS_KEY_ID", "KEYROTD_REASON", "KEYROTD_ACTOR_UID", "KEYROTD_ACTOR_PID",
        "KEYROTD_AUDIT_SEQ", "KEYROTD_AUDIT_HASH", "KEYROTD_DATABASE",
    ]

    /// The `KEYROTD_*` fields, in a fixed order.
    private var fields: [(String, String)] {
        var fields = [("KEYROTD_EVENT", kind.rawValue)]
        if let workspace { fields.append(("KEYROTD_WORKSPACE", workspace.rawValue)) }
        if let keyID { fields.append(("KEYROTD_KEY_ID", keyID)) }
        if let previousKeyID { fields.append(("KEYROTD_PREVIOUS_KEY_ID", previousKeyID)) }
        if let reason { fields.append(("KEYROTD_REASON", reason)) }
        if let actor {
            fields.append(("KEYROTD_ACTOR_UID", "\(actor.uid)"))
            fields.append(("KEYROTD_ACTOR_PID", "\(actor.pid)"))
        }
        if let auditSeq { fields.append(("KEYROTD_AUDIT_SEQ", "\(auditSeq)")) }
        if let auditHash { fields.append(("KEYROTD_AUDIT_HASH", auditHash)) }
        if let database { fields.append((Self.databaseField, database)) }
        return fields
    }
}
