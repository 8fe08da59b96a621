import KeyrotControl
import KeyrotCore

/// What the configuration file says: the default workspace policy, the workspaces to keep in existence, who
/// administers keyrotd, and what a control-socket client may take.
public struct DaemonConfiguration: Equatable, Sendable {
    public var defaults: WorkspacePolicy
    public var workspaces: [WorkspaceName: WorkspacePolicy]
    /// `[access] admin_group`: members may call every method.
    public var adminGroup: String?
    /// `[control]`: connection limit and idle timeout.
    public var controlLimits: ControlLimits

    public init(
        defaults: WorkspacePolicy = .standard,
        workspaces: [WorkspaceName: WorkspacePolicy] = [:],
        adminGroup: String? = nil,
        controlLimits: ControlLimits = ControlLimits()
    ) {
        self.defaults = defaults
        self.workspaces = workspaces
        self.adminGroup = adminGroup
        self.controlLimits = controlLimits
    }

    /// The configuration `keyrotd --dev` runs when given no `--config`: one `demo` workspace whose keys
    /// rotate every minute, so a newcomer sees rotations happen.
    public static let developmentDefault = """
        # keyrotd --dev's embedded configuration.
        [defaults]
        algorithm = "HS256"
        rotate_every = "30d"
        grace = "7d"
        token_ttl = "1h"

        [workspace.demo]
        rotate_every = "1min"
        grace = "2min"
        token_ttl = "5min"
        """
}
