/// What the lifecycle decided for one request: the changes to apply, in order, the audit rows to append with them,
/// and the workspace as it is once they are applied.
///
/// An empty decision (no changes, no rows) means there was nothing to do: a scheduled rotation not yet due, a leak
/// flagged already, a policy unchanged.
public struct LifecycleDecision: Hashable, Sendable {
    public var changes: [LifecycleChange]
    public var audit: [AuditRecord]
    /// The workspace after the changes: what a cache or a schedule that follows the store may take as current.
    public var result: WorkspaceState

    public init(changes: [LifecycleChange], audit: [AuditRecord], result: WorkspaceState) {
        self.changes = changes
        self.audit = audit
        self.result = result
    }

    /// Whether the request changed nothing.
    public var isEmpty: Bool { changes.isEmpty && audit.isEmpty }
}
