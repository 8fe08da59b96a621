import Foundation

/// One varlink method call as received, `{"method": "io.keyrotd.Sign", "parameters": {...}, "oneway": false}`, read
/// in one pass: the method, and what it asks for as a typed value or as the error to answer it with.
public struct VarlinkCall<Methods: VarlinkMethods>: Sendable {
    /// What a call asks of the server.
    public enum Target: Sendable {
        /// A method of the service's interface.
        case service(Methods)
        /// `org.varlink.service.GetInfo`.
        case getInfo
        /// `org.varlink.service.GetInterfaceDescription` of this interface.
        case getInterfaceDescription(String)
    }

    /// The fully qualified method, e.g. `io.keyrotd.Sign`.
    public let method: String
    /// The caller wants no reply.
    public let oneway: Bool
    /// The call, or the error reply it gets (an unknown interface or method, a parameter that does not fit).
    public let target: Result<Target, VarlinkError>

    /// Reads a call from one message (the bytes before its NUL), parsing the JSON once.
    ///
    /// - Parameter decoder: a decoder made by ``decoder(forInterface:)`` for the service's interface (one per
    ///   connection serves all its calls).
    /// - Throws: `io.keyrotd.InvalidRequest` for anything that is not a JSON object with a string `method`, or that
    ///   asks for a connection upgrade: the connection is closed after the reply.
    public init(message: Data, decoder: JSONDecoder) throws(VarlinkError) {
        let envelope: Envelope
        do { envelope = try decoder.decode(Envelope.self, from: message) } catch {
            throw .invalidRequest("not a varlink call: expected a JSON object with a \"method\" string")
        }
        guard !envelope.upgrade else { throw .invalidRequest("connection upgrades are not supported") }
        method = envelope.method
        oneway = envelope.oneway
        target = envelope.target
    }

    /// Reads a call as ``init(message:decoder:)`` does, with a decoder of its own.
    public init(message: Data, interface: String) throws(VarlinkError) {
        try self.init(message: message, decoder: Self.decoder(forInterface: interface))
    }

    /// A decoder of calls to `interface`.
    public static func decoder(forInterface interface: String) -> JSONDecoder {
        let decoder = JSONDecoder()
        decoder.userInfo[interfaceKey] = interface
        return decoder
    }

    /// The interface part of a method: `io.keyrotd` for `io.keyrotd.Sign`.
    static func interface(of method: String) -> String {
        String(method[..<(method.lastIndex(of: ".") ?? method.startIndex)])
    }

    /// The method's own name: `Sign` for `io.keyrotd.Sign`.
    static func name(of method: String) -> String {
        method.lastIndex(of: ".").map { String(method[method.index(after: $0)...]) } ?? method
    }

    private struct Envelope: Decodable {
        private enum Key: String, CodingKey { case method, oneway, upgrade, parameters }
        private struct InterfaceQuery: Decodable { var interface: String }

        var method: String
        var oneway: Bool
        var upgrade: Bool
        var target: Result<Target, VarlinkError>

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: Key.self)
            method = try container.decode(String.self, forKey: .method)
            oneway = try container.decodeIfPresent(Bool.self, forKey: .oneway) ?? false
            upgrade = try container.decodeIfPresent(Bool.self, forKey: .upgrade) ?? false
            let hasParameters = try container.contains(.parameters) && !container.decodeNil(forKey: .parameters)
            let parameters = try hasParameters ? container.superDecoder(forKey: .parameters) : Self.emptyObject()
            let interface = decoder.userInfo[interfaceKey] as? String ?? ""
            let method = method
            target = Result { () throws(VarlinkError) -> Target in
                do {
                    switch (VarlinkCall.interface(of: method), VarlinkCall.name(of: method)) {
                    case ("org.varlink.service", "GetInfo"):
                        return .getInfo
                    case ("org.varlink.service", "GetInterfaceDescription"):
                        return .getInterfaceDescription(try InterfaceQuery(from: parameters).interface)
                    case ("org.varlink.service", _):
                        throw VarlinkError.methodNotFound(method)
                    case (interface, let name):
                        return .service(try Methods(method: name, parameters: parameters))
                    case (let other, _):
                        throw VarlinkError.interfaceNotFound(other)
                    }
                } catch let error as VarlinkError {
                    throw error
                } catch let error as DecodingError {
                    throw .invalidParameter(error.parameterName)
                } catch {
                    throw .invalidParameter("parameters")
                }
            }
        }

        /// A decoder of `{}`, for a call without parameters (a constant of two bytes: the message is not parsed
        /// again).
        private static func emptyObject() throws -> any Decoder {
            try JSONDecoder().decode(DecoderCapture.self, from: Data("{}".utf8)).decoder
        }
    }

    /// Keeps the decoder it is decoded with.
    private struct DecoderCapture: Decodable {
        var decoder: any Decoder
        init(from decoder: any Decoder) { self.decoder = decoder }
    }
}

/// Where a call's decoder finds the name of the service's interface.
private let interfaceKey = CodingUserInfoKey(rawValue: "keyrot.interface")!

extension DecodingError {
    /// The name of the parameter a decoding error is about (the path below `parameters`).
    fileprivate var parameterName: String {
        let path: [any CodingKey]
        switch self {
        case .keyNotFound(let key, let context): path = context.codingPath + [key]
        case .typeMismatch(_, let context), .valueNotFound(_, let context), .dataCorrupted(let context):
            path = context.codingPath
        @unknown default: path = []
        }
        let names = path.drop { $0.stringValue == "parameters" }.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }
        return names.isEmpty ? "parameters" : names.joined(separator: ".").replacingOccurrences(of: ".[", with: "[")
    }
}
