/// What a caller asks to have signed: whose token, for how long, and any extra claims.
public struct TokenRequest: Hashable, Sendable {
    public var userID: String
    /// The lifetime asked for; nil means the workspace's `token_ttl`. Capped at its `max_token_ttl`.
    public var ttl: TimeSpan?
    /// Extra claims; they can never replace `user_id`, `iat`, `exp` or `nbf`.
    public var extraClaims: [String: ClaimValue]

    public init(userID: String, ttl: TimeSpan? = nil, extraClaims: [String: ClaimValue] = [:]) {
        self.userID = userID
        self.ttl = ttl
        self.extraClaims = extraClaims
    }
}
