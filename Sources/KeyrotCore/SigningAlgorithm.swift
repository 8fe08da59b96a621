/// The JWS HMAC algorithms a workspace may pin (RFC 7518 §3.2), with the secret length each gets.
public enum SigningAlgorithm: String, CaseIterable, Sendable {
    case hs256 = "HS256"
    case hs384 = "HS384"
    case hs512 = "HS512"

    /// Bytes of a generated secret: the hash's output size, as RFC 7518 §3.2 recommends at least.
    public var secretLength: Int {
        switch self {
        case .hs256: 32
        case .hs384: 48
        case .hs512: 64
        }
    }
}
