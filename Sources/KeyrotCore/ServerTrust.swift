/// Which processes a client may send a call to: whoever listens on the socket it found must be root, keyrotd's
/// system user, or the invoking user itself (a `keyrotd --dev` of its own). A socket that another user made (in a
/// shared directory, or the current one) could otherwise collect an imported secret, or answer `verify` with
/// "valid".
public struct ServerTrust: Hashable, Sendable {
    /// The uid of the user running the client.
    public var invokingUID: UInt32
    /// The uid of keyrotd's system user, if the system has one.
    public var daemonUID: UInt32?

    public init(invokingUID: UInt32, daemonUID: UInt32?) {
        self.invokingUID = invokingUID
        self.daemonUID = daemonUID
    }

    /// Whether a server whose process runs as `uid` may be sent a call.
    public func trusts(serverUID uid: UInt32) -> Bool {
        uid == 0 || uid == invokingUID || uid == daemonUID
    }
}
