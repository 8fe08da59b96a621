import COpenSSL

/// Random bytes from OpenSSL's CSPRNG (`RAND_bytes`).
public enum SecureRandom {
    /// Fills `buffer` with random bytes.
    public static func fill(_ buffer: UnsafeMutableRawBufferPointer) throws {
        guard buffer.count > 0 else { return }
        guard RAND_bytes(buffer.baseAddress?.assumingMemoryBound(to: UInt8.self), Int32(buffer.count)) == 1 else {
            throw CryptoError.openSSL(operation: "RAND_bytes")
        }
    }

    /// A new secret of `count` random bytes.
    public static func secret(count: Int) throws -> SecretBytes {
        try SecretBytes(count: count) { buffer in try fill(buffer) }
    }
}
