/// What answers the calls of an interface served on the control socket (the daemon implements it).
///
/// The server decodes each call once into ``Methods`` and asks ``answer(_:method:from:mayBlock:)`` for its reply on
/// the connection's event loop with `mayBlock` false: a call that needs nothing that could block (a `Sign` with its
/// keys in memory) is answered there and then, with no thread hop. A call that reaches something that could block
/// (the database, a user lookup, the journal) answers ``VarlinkAnswer/mustBlock`` before it has done anything, and the
/// server asks the same code again on its thread pool for blocking work, with `mayBlock` true.
///
/// - Important: An implementation must not crash on any call: the server hands it whatever a peer sent. With
///   `mayBlock` false it must neither block nor change anything before answering ``VarlinkAnswer/mustBlock``.
public protocol VarlinkService: Sendable {
    associatedtype Methods: VarlinkMethods

    /// The interface it implements, e.g. ``VarlinkInterfaceFile/keyrotd``.
    var interface: VarlinkInterfaceFile { get }

    /// Answers `call` (a call of method `method`, fully qualified) from `peer`.
    func answer(_ call: Methods, method: String, from peer: PeerCredentials, mayBlock: Bool) -> VarlinkAnswer
}

/// A service's answer to one call.
public enum VarlinkAnswer: Sendable {
    /// The reply (a result or an error).
    case reply(VarlinkReply)
    /// The call needs to block: ask again where blocking is allowed.
    case mustBlock

    /// An error reply.
    public static func error(_ error: VarlinkError) -> VarlinkAnswer { .reply(.error(error)) }
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
