/// What answers the calls of an interface served on the control socket (the daemon implements it).
///
/// - Important: Throw ``VarlinkError`` for an error reply; every other outcome is a reply. An implementation
///   must not crash on any call: the server hands it whatever a peer sent.
public protocol VarlinkService: Sendable {
    /// The interface it implements, e.g. ``VarlinkInterfaceFile/keyrotd``.
    var interface: VarlinkInterfaceFile { get }

    /// Answers `call` (a method of ``interface``) from `peer`.
    func reply(to call: VarlinkCall, from peer: PeerCredentials) async throws(VarlinkError) -> VarlinkReply
}

/// What `org.varlink.service.GetInfo` says about the service.
public struct VarlinkServiceInfo: Hashable, Sendable, Codable {
    public var vendor: String
    public var product: String
    public var version: String
    public var url: String

    public init(vendor: String, product: String, version: String, url: String) {
        self.vendor = vendor
        self.product = product
        self.version = version
        self.url = url
    }
}
