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
    /// `[workspace.NAME.intercom]` of each workspace whose provider is Intercom.
    public var intercom: [WorkspaceName: IntercomSettings]
    /// `[access] providers`: `uid:N`, `uid:NAME` or `group:NAME` entries the provider agent runs as.
    public var providers: [String]
    /// `[store]`: SQLite (the default) or PostgreSQL.
    public var store: StoreSettings

    public init(
        defaults: WorkspacePolicy = .standard,
        workspaces: [WorkspaceName: WorkspacePolicy] = [:],
        adminGroup: String? = nil,
        controlLimits: ControlLimits = ControlLimits(),
        intercom: [WorkspaceName: IntercomSettings] = [:],
        providers: [String] = [],
        store: StoreSettings = .sqlite
    ) {
        self.defaults = defaults
        self.workspaces = workspaces
        self.adminGroup = adminGroup
        self.controlLimits = controlLimits
        self.intercom = intercom
        self.providers = providers
        self.store = store
    }

    /// Whether any configured workspace has a provider (then `keyrotd --dev` starts the provider agent).
    public var hasProviders: Bool { workspaces.values.contains { $0.provider != nil } }

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
