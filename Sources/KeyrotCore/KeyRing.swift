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
}
