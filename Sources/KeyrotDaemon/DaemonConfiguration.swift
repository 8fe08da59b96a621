import KeyrotCore

/// What the configuration file says: default rotation policy and the workspaces to keep in existence.
public struct DaemonConfiguration: Equatable, Sendable {
    public var defaults: RotationPolicy
    public var workspaces: [WorkspaceName: RotationPolicy]

    public init(defaults: RotationPolicy = .standard, workspaces: [WorkspaceName: RotationPolicy] = [:]) {
        self.defaults = defaults
        self.workspaces = workspaces
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
