import Foundation
import NIOCore

/// A reply ready to send: `{"parameters": {...}}` or `{"error": "...", "parameters": {...}}`, then a NUL.
public struct VarlinkReply: Sendable {
    /// The encoded message, NUL included.
    public let bytes: ByteBuffer

    private struct Success<Parameters: Encodable>: Encodable {
        var parameters: Parameters
    }

    private struct Failure: Encodable {
        var error: String
        var parameters: [String: JSONValue]
    }

    /// A successful reply carrying `parameters`.
    public static func parameters(_ parameters: some Encodable) -> VarlinkReply {
        do {
            return VarlinkReply(json: try encoder.encode(Success(parameters: parameters)))
        } catch {
            return .error(.internalError("the reply could not be encoded"))
        }
    }

    /// A successful reply whose JSON object the caller wrote itself (for the hottest replies; it must be exactly
    /// what ``parameters(_:)`` would write).
    public static func encoded(_ json: [UInt8]) -> VarlinkReply {
        VarlinkReply(json: json)
    }

    /// An error reply.
    public static func error(_ error: VarlinkError) -> VarlinkReply {
        // Encoding [String: JSONValue] cannot fail.
        VarlinkReply(json: (try? encoder.encode(Failure(error: error.name, parameters: error.parameters))) ?? Data())
    }

    private init(json: some Collection<UInt8>) {
        var buffer = ByteBuffer()
        buffer.reserveCapacity(json.count + 1)
        buffer.writeBytes(json)
        buffer.writeInteger(UInt8(0))
        bytes = buffer
    }

    private static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()
}
