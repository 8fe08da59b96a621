/// Something asked of one workspace's keys: by the scheduler, by an operator over the control socket, or by the
/// configuration. ``KeyLifecycle/decide(_:for:at:keyIDsInUse:)`` turns it into changes or a refusal.
public enum LifecycleRequest: Hashable, Sendable {
    /// Make a new workspace with this policy and its first active key.
    case create(WorkspacePolicy, reason: String?)
    /// The configuration declares the workspace with this policy: create it, or change its policy to this one.
    case declare(WorkspacePolicy, reason: String?)
    /// Change an existing workspace's policy (a new algorithm rotates to a key of its own at once).
    case changePolicy(WorkspacePolicy, reason: String?)
    /// Replace the active key: when due (scheduled), now (manual), or now revoking the old one (emergency).
    case rotate(RotationMode, reason: String?)
    /// The key leaked: revoke it and mark it leaked; an active key is replaced at once.
    case flagLeak(keyID: String, reason: String?)
    /// Withdraw the key: it never verifies again; an active key is replaced at once.
    case revoke(keyID: String, reason: String?)
    /// Add a secret made elsewhere as a pending key, or as the active key at once.
    case importKey(ImportedKey)
    /// Make this pending key the active one now; the old active key goes to grace.
    case activate(keyID: String, reason: String?)
    /// Retire this grace key if its window has closed (a scheduled sweep: nothing happens otherwise).
    case retireExpiredGrace(keyID: String)
}

/// What an import asks for; the secret itself never reaches the core, only its length.
public struct ImportedKey: Hashable, Sendable {
    /// The key's id; nil gives the workspace's next generated id.
    public var keyID: String?
    public var secretLength: Int
    /// Whether the key becomes the active one at once (else it waits as pending, verifying).
    public var activate: Bool

    public init(keyID: String?, secretLength: Int, activate: Bool) {
        self.keyID = keyID
        self.secretLength = secretLength
        self.activate = activate
    }
}
