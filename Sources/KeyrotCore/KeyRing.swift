/// One workspace's keys seen at one moment: which key signs and which keys verify.
public struct KeyRing: Sendable {
    public let keys: [KeyRecord]

    public init(keys: [KeyRecord]) {
        self.keys = keys
    }

    /// The active key, the only one that signs; nil if the workspace has none (it is then due for rotation).
    public var signingKey: KeyRecord? { keys.first { $0.state == .active } }

    /// The keys a token may verify against at `now`.
    public func verifyingKeys(at now: Timestamp) -> [KeyRecord] {
        keys.filter { $0.verifies(at: now) }
    }

    /// The key with id `keyID`, whatever its state.
    public func key(withID keyID: String) -> KeyRecord? {
        keys.first { $0.keyID == keyID }
    }
}
