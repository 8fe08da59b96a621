/// An audit row the lifecycle asks for: what happened and why. The store adds the moment, the workspace, the
/// actor and the chain hash when it appends it (an ``AuditEntry``).
public struct AuditRecord: Hashable, Sendable {
    public var event: AuditEvent
    public var keyID: String?
    public var previousKeyID: String?
    public var reason: String?
    public var detail: String?

    public init(
        _ event: AuditEvent,
        keyID: String?,
        previousKeyID: String? = nil,
        reason: String?,
        detail: String? = nil
    ) {
        self.event = event
        self.keyID = keyID
        self.previousKeyID = previousKeyID
        self.reason = reason
        self.detail = detail
    }
}
