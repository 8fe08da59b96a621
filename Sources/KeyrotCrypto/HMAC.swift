import KeyrotCore

/// HMAC (RFC 2104) with SHA-256/384/512 through OpenSSL, for the JWS algorithms HS256/384/512, for a key used once;
/// a key used many times is an ``HMACKey``.
public enum HMAC {
    /// The MAC of `message` under `key` for `algorithm`; empty if OpenSSL fails (it fails only to allocate).
    public static func authenticationCode(
        _ algorithm: SigningAlgorithm,
        key: SecretBytes,
        message: some Collection<UInt8>
    ) -> [UInt8] {
        (try? HMACKey(algorithm, key: key))?.authenticationCode(for: message) ?? []
    }

    /// Whether `signature` is the MAC of `message` under `key`, compared in constant time.
    public static func isValid(
        _ signature: [UInt8],
        for message: some Collection<UInt8>,
        key: SecretBytes,
        algorithm: SigningAlgorithm
    ) -> Bool {
        let expected = authenticationCode(algorithm, key: key, message: message)
        return !expected.isEmpty && ConstantTime.equals(expected, signature)
    }
}
