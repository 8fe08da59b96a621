/// A change the store committed to one workspace, as its observers hear of it: the workspace as it now stands, and
/// the commit's place in the store's order of commits (observers may hear of two commits in either order; the
/// higher order is the newer state).
public struct CommittedChange: Sendable {
    public var workspace: WorkspaceState
    public var order: UInt64

    public init(workspace: WorkspaceState, order: UInt64) {
        self.workspace = workspace
        self.order = order
    }
}
