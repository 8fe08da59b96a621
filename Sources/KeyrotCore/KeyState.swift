/// Where a key is in its life (DESIGN §3): `pending` → `active` → `grace` → `retired`, and any key that
/// still verifies can become `revoked`.
public enum KeyState: String, CaseIterable, Sendable {
    /// Published ahead of use: verifies, does not sign yet.
    case pending
    /// The one key of its workspace that signs.
    case active
    /// Replaced by a scheduled rotation: verifies until its `grace_until`, exclusive.
    case grace
    /// Past its grace window: verifies nothing; its material is destroyed.
    case retired
    /// Withdrawn early (emergency rotation, revocation, leak): verifies nothing, ever; material destroyed.
    case revoked

    /// Whether keys in this state still hold sealed material (retired and revoked keys are crypto-shredded).
    public var keepsMaterial: Bool { self == .pending || self == .active || self == .grace }

    /// Whether the lifecycle allows moving from this state to `next`.
    public func canTransition(to next: KeyState) -> Bool {
        switch (self, next) {
        case (.pending, .active), (.active, .grace), (.grace, .retired): true
        case (.pending, .revoked), (.active, .revoked), (.grace, .revoked): true
        default: false
        }
    }
}
