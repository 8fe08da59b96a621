import COpenSSL
import KeyrotCore

/// HMAC (RFC 2104) with SHA-256/384/512 through OpenSSL, for the JWS algorithms HS256/384/512.
public enum HMAC {
    /// The MAC of `message` under `key` for `algorithm`.
    public static func authenticationCode(
        _ algorithm: SigningAlgorithm,
        key: SecretBytes,
        message: some Collection<UInt8>
    ) -> [UInt8] {
        var output = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        let digest: OpaquePointer? =
            switch algorithm {
            case .hs256: EVP_sha256()
            case .hs384: EVP_sha384()
            case .hs512: EVP_sha512()
            }
        let compute = { (messageBytes: UnsafeBufferPointer<UInt8>) in
            key.withUnsafeBytes { keyBytes in
                COpenSSL.HMAC(
                    digest,
                    keyBytes.baseAddress,
                    Int32(keyBytes.count),
                    messageBytes.baseAddress,
                    messageBytes.count,
                    &output,
                    &length
                )
            }
        }
        let result =
            message.withContiguousStorageIfAvailable(compute) ?? Array(message).withUnsafeBufferPointer(compute)
        // HMAC() fails only on allocation failure; an empty MAC then matches no signature.
        guard result != nil else { return [] }
        return Array(output.prefix(Int(length)))
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
