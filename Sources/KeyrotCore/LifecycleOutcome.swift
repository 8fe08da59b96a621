/// What ``KeyStore/perform(_:on:at:actor:sealImported:)`` did: the lifecycle's decision as committed, the audit
/// rows written, and the commit's place in the store's order of commits.
public struct LifecycleOutcome: Sendable {
    public var decision: LifecycleDecision
    public var entries: [AuditEntry]
    public var order: UInt64

    public init(decision: LifecycleDecision, entries: [AuditEntry], order: UInt64) {
        self.decision = decision
        self.entries = entries
        self.order = order
    }
}
