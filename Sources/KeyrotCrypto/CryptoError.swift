/// Why a cryptographic operation failed.
///
/// - Important: Descriptions never contain key material or plaintext.
public enum CryptoError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Sealed bytes did not open: wrong master key, wrong workspace or key id, or tampered bytes.
    case authenticationFailed
    /// Sealed bytes are too short or of an unknown format version.
    case malformedSealedData
    /// A key has the wrong length.
    case invalidKeyLength(expected: Int, actual: Int)
    /// OpenSSL reported a failure in `operation`.
    case openSSL(operation: String)

    public var description: String {
        switch self {
        case .authenticationFailed:
            "sealed key material failed authentication (wrong master key, or the data was altered)"
        case .malformedSealedData:
            "sealed key material is malformed"
        case .invalidKeyLength(let expected, let actual):
            "a key must be \(expected) bytes, not \(actual)"
        case .openSSL(let operation):
            "OpenSSL failed in \(operation)"
        }
    }
}
