import KeyrotCore
import KeyrotCrypto

/// The same token as an Intercom-style signer would make it: a header without `kid`, the same claims, signed with
/// the same secret. keyrotd itself always writes a `kid`; a token without one is tried against every verifying key.
enum KidlessToken {
    /// `token` with its header replaced by `{"alg":…,"typ":"JWT"}` and signed again with `secret`.
    static func resign(_ token: String, algorithm: SigningAlgorithm, secret: SecretBytes) -> String {
        let claims = token.split(separator: ".")[1]
        let header = Base64URL.encode(Array(#"{"alg":"\#(algorithm.rawValue)","typ":"JWT"}"#.utf8))
        let input = header + "." + claims
        return input + "." + Base64URL.encode(HMAC.authenticationCode(algorithm, key: secret, message: input.utf8))
    }
}
