/// One workspace's keys seen at one moment: which key signs, and each key by its id (each record says whether it
/// verifies at a given moment).
public struct KeyRing: Sendable {
    public let keys: [KeyRecord]

    public init(keys: [KeyRecord]) {
        self.keys = keys
    }

    /// The active key, the only one that signs; nil if the workspace has none (it is then due for rotation).
    public var signingKey: KeyRecord? { keys.first { $0.state == .active } }

    /// The key with id `keyID`, whatever its state.
    public func key(withID keyID: String) -> KeyRecord? {
        keys.first { $0.keyID == keyID }
    }

    /// The ring with the keys in `keyIDs` revoked: what a revocation the store has not taken yet means meanwhile
    /// (``PendingRevocations``): they verify nothing, and sign nothing.
    public func revoking(_ keyIDs: Set<String>) -> KeyRing {
        guard !keyIDs.isEmpty else { return self }
        return KeyRing(
            keys: keys.map { key in
                guard keyIDs.contains(key.keyID) else { return key }
                var revoked = key
                revoked.state = .revoked
                return revoked
            }
        )
    }
}
