/// How a call to the provider failed, as the agent reports it; ``ProviderRetry`` decides what follows.
public enum ProviderFailure: Hashable, Sendable, CustomStringConvertible {
    /// The provider refused the credentials (HTTP 401 or 403, or a hook that said so): retrying cannot help until
    /// an operator changes the token and reloads.
    case unauthorized(status: Int, message: String)
    /// Anything worth retrying: a 5xx or 429 (with the provider's `Retry-After`, if it sent one), a timeout, a
    /// refused connection, a hook that exited 75.
    case transient(String, retryAfter: TimeSpan?)
    /// The provider refused the request itself (a 4xx other than 401, 403, 404 and 429), or answered what keyrotd
    /// cannot take: retried, slowly. `message` says what, in the agent's words (its status included).
    case rejected(status: Int, message: String?)

    public var description: String {
        switch self {
        case .unauthorized(_, let message): message
        case .transient(let what, _): what
        case .rejected(let status, let message): message ?? "\(status) rejected"
        }
    }
}
