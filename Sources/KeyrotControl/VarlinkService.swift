/// What answers the calls of an interface served on the control socket (the daemon implements it).
///
/// - Important: Throw ``VarlinkError`` for an error reply; every other outcome is a reply. An implementation
///   must not crash on any call: the server hands it whatever a peer sent.
public protocol VarlinkService: Sendable {
    /// The interface it implements, e.g. ``VarlinkInterfaceFile/keyrotd``.
    var interface: VarlinkInterfaceFile { get }

    /// Answers `call` (a method of ``interface``) from `peer`.
    func reply(to call: VarlinkCall, from peer: PeerCredentials) async throws(VarlinkError) -> VarlinkReply

    /// Answers `call` at once if that needs no I/O (nothing that could block: no database, no user lookups, no
    /// journal), or returns nil to have ``reply(to:from:)`` answer it. The server calls this on its event loop, so
    /// a reply here skips two thread hops.
    ///
    /// - Important: It must return what ``reply(to:from:)`` would have, errors included, or nil.
    func immediateReply(to call: VarlinkCall, from peer: PeerCredentials) -> VarlinkReply?
}

extension VarlinkService {
    /// By default every call takes the ordinary path.
    public func immediateReply(to call: VarlinkCall, from peer: PeerCredentials) -> VarlinkReply? { nil }
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
