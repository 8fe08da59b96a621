/// How a call to the provider failed, as the agent reports it; ``ProviderRetry`` decides what follows.
public enum ProviderFailure: Hashable, Sendable, CustomStringConvertible {
    /// The provider refused the credentials (HTTP 401 or 403, or a hook that said so): retrying cannot help until
    /// an operator changes the token and reloads.
    case unauthorized(status: Int)
    /// Anything worth retrying: a 5xx or 429 (with the provider's `Retry-After`, if it sent one), a timeout, a
    /// refused connection, a hook that exited 75.
    case transient(String, retryAfter: TimeSpan?)
    /// The provider refused the request itself (a 4xx other than 401, 403, 404 and 429): retried, slowly.
    case rejected(status: Int, code: String?)

    public var description: String {
        switch self {
        case .unauthorized(let status): "\(status) unauthorized"
        case .transient(let what, _): what
        case .rejected(let status, let code): code.map { "\(status) \($0)" } ?? "\(status)"
        }
    }
}
