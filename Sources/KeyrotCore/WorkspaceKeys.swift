import Foundation

/// What signing and verifying for one workspace needs, read in one snapshot: its policy, all its keys, and the
/// sealed material of those that still have some.
public struct WorkspaceKeys: Sendable {
    public var policy: WorkspacePolicy
    public var ring: KeyRing
    /// Sealed secrets by key id (pending, active and grace keys only).
    public var sealedSecrets: [String: Data]
    /// The workspace's ``KeyStore/revision(of:)`` when this was read.
    public var revision: UInt64

    public init(policy: WorkspacePolicy, ring: KeyRing, sealedSecrets: [String: Data], revision: UInt64) {
        self.policy = policy
        self.ring = ring
        self.sealedSecrets = sealedSecrets
        self.revision = revision
    }
}
