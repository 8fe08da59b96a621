/// A varlink error reply: a fully qualified name and its parameters, e.g.
/// `io.keyrotd.WorkspaceNotFound {"workspace": "acme"}`.
///
/// - Important: Parameters name what the caller sent or what exists; never key material.
public struct VarlinkError: Error, Hashable, Sendable, CustomStringConvertible {
    public var name: String
    public var parameters: [String: JSONValue]

    public init(_ name: String, _ parameters: [String: JSONValue] = [:]) {
        self.name = name
        self.parameters = parameters
    }

    public var description: String {
        let details = parameters.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value.text)" }
        return details.isEmpty ? name : "\(name) (\(details.joined(separator: ", ")))"
    }

    public static func methodNotFound(_ method: String) -> VarlinkError {
        VarlinkError("org.varlink.service.MethodNotFound", ["method": .string(method)])
    }

    public static func interfaceNotFound(_ interface: String) -> VarlinkError {
        VarlinkError("org.varlink.service.InterfaceNotFound", ["interface": .string(interface)])
    }

    public static func invalidParameter(_ parameter: String) -> VarlinkError {
        VarlinkError("org.varlink.service.InvalidParameter", ["parameter": .string(parameter)])
    }

    /// A message keyrotd cannot read as a varlink call at all (not JSON, no method, too large, an upgrade): the
    /// connection is closed after this reply. It means that and nothing else.
    public static func invalidRequest(_ reason: String) -> VarlinkError {
        VarlinkError("io.keyrotd.InvalidRequest", ["reason": .string(reason)])
    }

    /// A well-formed call with a value that breaks a rule (an empty user id, a bad time span, a short secret, a key
    /// id taken).
    public static func invalidArgument(_ reason: String) -> VarlinkError {
        VarlinkError("io.keyrotd.InvalidArgument", ["reason": .string(reason)])
    }

    /// The connection was refused (over a limit) and is closed.
    public static func connectionRefused(_ reason: String) -> VarlinkError {
        VarlinkError("io.keyrotd.ConnectionRefused", ["reason": .string(reason)])
    }

    /// The daemon is stopping: the call was not carried out.
    public static let shuttingDown = VarlinkError("io.keyrotd.ShuttingDown")

    /// keyrotd failed to answer a call it should have answered: a fault of keyrotd's, logged.
    public static func internalError(_ reason: String) -> VarlinkError {
        VarlinkError("io.keyrotd.InternalError", ["reason": .string(reason)])
    }

    public static func permissionDenied(method: String, uid: UInt32) -> VarlinkError {
        VarlinkError("io.keyrotd.PermissionDenied", ["method": .string(method), "uid": .number(Double(uid))])
    }
}

extension JSONValue {
    /// The value as plain text for messages: strings unquoted, numbers without a needless `.0`.
    public var text: String {
        switch self {
        case .null: "null"
        case .bool(let value): "\(value)"
        case .number(let value) where value.rounded() == value && abs(value) < 9e15: "\(Int64(value))"
        case .number(let value): "\(value)"
        case .string(let value): value
        case .array(let values): "[" + values.map(\.text).joined(separator: ", ") + "]"
        case .object(let members): "{" + members.map { "\($0.key): \($0.value.text)" }.joined(separator: ", ") + "}"
        }
    }
}
