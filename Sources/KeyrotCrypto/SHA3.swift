import COpenSSL

/// SHA3 digests (FIPS 202) through OpenSSL, as the audit chain and the SQL function `sha3()` use them.
public enum SHA3 {
    /// The SHA3-`bits` digest of `input`, or nil if `bits` is not 224, 256, 384 or 512 (or OpenSSL fails).
    public static func digest(bits: Int, of input: some Collection<UInt8>) -> [UInt8]? {
        let algorithm: OpaquePointer?
        switch bits {
        case 224: algorithm = EVP_sha3_224()
        case 256: algorithm = EVP_sha3_256()
        case 384: algorithm = EVP_sha3_384()
        case 512: algorithm = EVP_sha3_512()
        default: return nil
        }
        var output = [UInt8](repeating: 0, count: bits / 8)
        var length: UInt32 = 0
        let bytes = Array(input)
        let ok = bytes.withUnsafeBytes { inputBuffer in
            EVP_Digest(inputBuffer.baseAddress, inputBuffer.count, &output, &length, algorithm, nil)
        }
        return ok == 1 && Int(length) == bits / 8 ? output : nil
    }
}
