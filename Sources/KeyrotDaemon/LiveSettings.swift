import KeyrotCore
import NIOConcurrencyHelpers

/// The configuration in force and the access rules made from it, replaced as a whole when a reload succeeds,
/// so every control call sees one consistent version.
public final class LiveSettings: Sendable {
    private let current: NIOLockedValueBox<(configuration: DaemonConfiguration, access: AccessRules)>

    public init(configuration: DaemonConfiguration, access: AccessRules) {
        current = NIOLockedValueBox((configuration, access))
    }

    public var configuration: DaemonConfiguration { current.withLockedValue { $0.configuration } }
    public var access: AccessRules { current.withLockedValue { $0.access } }
    /// The policy a workspace created over the control socket starts from.
    public var defaults: WorkspacePolicy { current.withLockedValue { $0.configuration.defaults } }

    /// Puts a new configuration in force.
    func replace(configuration: DaemonConfiguration, access: AccessRules) {
        current.withLockedValue { $0 = (configuration, access) }
    }
}
