/// Why a token does not verify: one named reason each, as `Verify` replies and `keyrotctl verify --explain` prints.
public enum TokenRejection: String, CaseIterable, Error, Sendable {
    /// Not three base64url segments of JSON objects, or a claim of the wrong type.
    case malformed
    /// `alg` is `none`, not HS256/384/512, or not the algorithm of the key it names (or, without a `kid`, of
    /// any key of the workspace).
    case unsupportedAlgorithm = "unsupported_algorithm"
    /// The `kid` names no key of the workspace (or the workspace requires a `kid` and the token has none).
    case unknownKey = "unknown_key"
    /// The `kid` names a revoked key: such a key never verifies again.
    case revokedKey = "revoked_key"
    /// The `kid` names a key whose grace window has closed.
    case retiredKey = "retired_key"
    /// No verifying key produces this signature.
    case badSignature = "bad_signature"
    /// `exp` has passed (beyond the clock-skew leeway), or there is no `exp`.
    case expired
    /// `nbf` or `iat` lies in the future (beyond the clock-skew leeway).
    case notYetValid = "not_yet_valid"
    /// No non-empty string `user_id` claim.
    case missingUserID = "missing_user_id"
    /// Larger than ``TokenRules/maximumTokenSize``.
    case tooLarge = "too_large"
}
