import Foundation
import NIOCore

/// One varlink method call as received: `{"method": "io.keyrotd.Sign", "parameters": {...}, "oneway": false}`.
public struct VarlinkCall: Sendable {
    /// The fully qualified method, e.g. `io.keyrotd.Sign`.
    public let method: String
    /// The caller wants no reply.
    public let oneway: Bool
    private let message: Data

    private struct Head: Decodable {
        var method: String
        var oneway: Bool?
        var upgrade: Bool?
    }

    private struct Envelope<Parameters: Decodable>: Decodable {
        var parameters: Parameters?
    }

    /// Reads a call from one message (the bytes before its NUL).
    ///
    /// - Throws: `io.keyrotd.InvalidRequest` for anything that is not a JSON object with a string `method`.
    public init(message: Data) throws(VarlinkError) {
        let head: Head
        do { head = try JSONDecoder().decode(Head.self, from: message) } catch {
            throw .invalidRequest("not a varlink call: expected a JSON object with a \"method\" string")
        }
        guard head.upgrade != true else { throw .invalidRequest("connection upgrades are not supported") }
        method = head.method
        oneway = head.oneway ?? false
        self.message = message
    }

    /// The interface part of the method: `io.keyrotd` for `io.keyrotd.Sign`.
    public var interface: String { String(method[..<(method.lastIndex(of: ".") ?? method.startIndex)]) }

    /// The method's own name: `Sign` for `io.keyrotd.Sign`.
    public var name: String {
        method.lastIndex(of: ".").map { String(method[method.index(after: $0)...]) } ?? method
    }

    /// The call's parameters as `Parameters`; a missing `parameters` member reads as `{}`.
    ///
    /// - Throws: `org.varlink.service.InvalidParameter` naming the first parameter that is missing or of the
    ///   wrong type.
    public func parameters<Parameters: Decodable>(as type: Parameters.Type) throws(VarlinkError) -> Parameters {
        do {
            if let parameters = try JSONDecoder().decode(Envelope<Parameters>.self, from: message).parameters {
                return parameters
            }
            return try JSONDecoder().decode(Parameters.self, from: Data("{}".utf8))
        } catch let error as DecodingError {
            throw .invalidParameter(error.parameterName)
        } catch {
            throw .invalidParameter("parameters")
        }
    }
}

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
