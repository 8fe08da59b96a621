import COpenSSL
import KeyrotCore

/// One key's HMAC, prepared once: OpenSSL's keyed context (the key's inner and outer pads already hashed), copied
/// for each message, so a MAC costs the hashing and no set-up. What ``HMAC``'s one-shot functions do, for a key
/// used many times.
///
/// - Important: The context holds key material; OpenSSL wipes it when the context is freed, in `deinit`. The
///   context is only ever read (copied), so one key serves any number of threads at once.
public final class HMACKey: @unchecked Sendable {
    public let algorithm: SigningAlgorithm
    private let context: OpaquePointer

    /// - Throws: ``CryptoError/openSSL(operation:)`` if OpenSSL cannot make the context.
    public init(_ algorithm: SigningAlgorithm, key: SecretBytes) throws(CryptoError) {
        let digest =
            switch algorithm {
            case .hs256: "SHA256"
            case .hs384: "SHA384"
            case .hs512: "SHA512"
            }
        let made = key.withUnsafeBytes { bytes in
            keyrot_hmac_context(digest, bytes.baseAddress?.assumingMemoryBound(to: UInt8.self), bytes.count)
        }
        guard let made else { throw .openSSL(operation: "EVP_MAC_init") }
        self.algorithm = algorithm
        self.context = made
    }

    deinit {
        EVP_MAC_CTX_free(context)
    }

    /// The MAC of `message`; empty if OpenSSL fails (it fails only to allocate), which matches no signature.
    public func authenticationCode(for message: some Collection<UInt8>) -> [UInt8] {
        var output = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length = 0
        let compute = { (bytes: UnsafeBufferPointer<UInt8>) in
            keyrot_hmac(self.context, bytes.baseAddress, bytes.count, &output, output.count, &length)
        }
        let ok = message.withContiguousStorageIfAvailable(compute) ?? Array(message).withUnsafeBufferPointer(compute)
        guard ok == 1 else { return [] }
        output.removeLast(output.count - length)
        return output
    }

    /// Whether `signature` is the MAC of `message`, compared in constant time.
    public func isValid(_ signature: [UInt8], for message: some Collection<UInt8>) -> Bool {
        let expected = authenticationCode(for: message)
        return !expected.isEmpty && ConstantTime.equals(expected, signature)
    }
}
