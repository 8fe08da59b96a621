import Foundation

/// The 32-byte key that seals every key's material at rest, with AES-256-GCM.
///
/// Sealed format: `0x01 ‖ nonce (12 random bytes) ‖ ciphertext ‖ tag (16 bytes)`, with the
/// ``SealingContext``'s bytes as associated data.
/// - Important: Opening fails with ``CryptoError/authenticationFailed`` for a wrong key, a wrong context or any
///   altered byte; it never returns garbage.
public struct MasterKey: Sendable {
    public static let length = 32
    static let formatVersion: UInt8 = 1

    private let key: SecretBytes

    public init(_ key: SecretBytes) throws {
        guard key.count == Self.length else {
            throw CryptoError.invalidKeyLength(expected: Self.length, actual: key.count)
        }
        self.key = key
    }

    /// A new random master key (for `--dev`, which keeps it in its state directory).
    public static func generate() throws -> MasterKey {
        try MasterKey(SecureRandom.secret(count: length))
    }

    /// Lends the raw key to `body`, e.g. to write it to a file of mode 0600.
    public func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try key.withUnsafeBytes(body)
    }

    /// Seals `secret` for `context`.
    public func seal(_ secret: SecretBytes, for context: SealingContext) throws -> Data {
        var nonce = [UInt8](repeating: 0, count: AESGCM.nonceLength)
        try nonce.withUnsafeMutableBytes { buffer in try SecureRandom.fill(buffer) }
        var ciphertext = [UInt8](repeating: 0, count: secret.count)
        let tag = try key.withUnsafeBytes { keyBytes in
            try secret.withUnsafeBytes { plaintext in
                try ciphertext.withUnsafeMutableBytes { output in
                    try AESGCM.seal(
                        key: keyBytes,
                        nonce: nonce,
                        associatedData: context.associatedData,
                        plaintext: plaintext,
                        into: output
                    )
                }
            }
        }
        return Data([Self.formatVersion] + nonce + ciphertext + tag)
    }

    /// Opens bytes sealed for `context` under this key.
    public func open(_ sealed: Data, for context: SealingContext) throws -> SecretBytes {
        let bytes = Array(sealed)
        let overhead = 1 + AESGCM.nonceLength + AESGCM.tagLength
        guard bytes.count > overhead, bytes[0] == Self.formatVersion else { throw CryptoError.malformedSealedData }
        let nonce = bytes[1...AESGCM.nonceLength]
        let ciphertext = bytes[(1 + AESGCM.nonceLength)..<(bytes.count - AESGCM.tagLength)]
        let tag = bytes[(bytes.count - AESGCM.tagLength)...]
        return try key.withUnsafeBytes { keyBytes in
            try SecretBytes(count: ciphertext.count) { output in
                try AESGCM.open(
                    key: keyBytes,
                    nonce: nonce,
                    associatedData: context.associatedData,
                    ciphertext: ciphertext,
                    tag: tag,
                    into: output
                )
            }
        }
    }
}
