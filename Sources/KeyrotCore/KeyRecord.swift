/// What keyrotd knows about one key, without its material: state, times and the bound on tokens it signed.
public struct KeyRecord: Hashable, Sendable {
    public var workspace: WorkspaceName
    public var keyID: String
    /// The algorithm the key signs and verifies with (its workspace's when it was made).
    public var algorithm: SigningAlgorithm
    public var state: KeyState
    public var leaked: Bool
    public var createdAt: Timestamp
    public var activatedAt: Timestamp?
    /// For a grace key: the first moment it no longer verifies.
    public var graceUntil: Timestamp?
    /// The latest `exp` any token signed with this key may carry (nil: it signed none that is recorded).
    public var tokensValidUntil: Timestamp?
    /// The provider's id of the key's secret, when a provider made it or an import bound it: a rotation deletes
    /// that secret there once the key stops verifying.
    public var providerSecretID: String?

    public init(
        workspace: WorkspaceName,
        keyID: String,
        algorithm: SigningAlgorithm = .hs256,
        state: KeyState,
        leaked: Bool = false,
        createdAt: Timestamp,
        activatedAt: Timestamp? = nil,
        graceUntil: Timestamp? = nil,
        tokensValidUntil: Timestamp? = nil,
        providerSecretID: String? = nil
    ) {
        self.workspace = workspace
        self.keyID = keyID
        self.algorithm = algorithm
        self.state = state
        self.leaked = leaked
        self.createdAt = createdAt
        self.activatedAt = activatedAt
        self.graceUntil = graceUntil
        self.tokensValidUntil = tokensValidUntil
        self.providerSecretID = providerSecretID
    }

    /// Whether a token signed with this key may verify at `now`: pending and active keys do, grace keys only
    /// while `now < graceUntil`, retired and revoked keys never.
    public func verifies(at now: Timestamp) -> Bool {
        switch state {
        case .pending, .active: true
        case .grace: graceUntil.map { now < $0 } ?? false
        case .retired, .revoked: false
        }
    }
}
