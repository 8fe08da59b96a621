/// Why a call to a provider failed, in the three kinds keyrotd's retry rules tell apart (`ProviderFailed`'s
/// `failure`). The description names a status and an error code, never a secret or a token.
public enum ProviderCallError: Error, Equatable, Sendable, CustomStringConvertible {
    /// 401 or 403 (or a missing token): not retried until the configuration is reloaded.
    case unauthorized(status: Int, message: String)
    /// A 5xx, a 429, a timeout, a lost connection: retried with backoff, not before `retryAfterSeconds`.
    case transient(String, status: Int?, retryAfterSeconds: Int?)
    /// Another 4xx, or an answer that does not follow the API: retried slowly.
    case rejected(status: Int, message: String)

    /// `ProviderFailed`'s `failure` parameter.
    public var kind: String {
        switch self {
        case .unauthorized: "unauthorized"
        case .transient: "transient"
        case .rejected: "rejected"
        }
    }

    public var status: Int? {
        switch self {
        case .unauthorized(let status, _), .rejected(let status, _): status
        case .transient(_, let status, _): status
        }
    }

    public var retryAfterSeconds: Int? {
        if case .transient(_, _, let seconds) = self { return seconds }
        return nil
    }

    public var description: String {
        switch self {
        case .unauthorized(_, let message), .rejected(_, let message): message
        case .transient(let message, _, _): message
        }
    }
}
