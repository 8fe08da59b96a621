import COpenSSL

/// AES-256-GCM through OpenSSL's EVP interface, every result checked.
enum AESGCM {
    static let nonceLength = 12
    static let tagLength = 16

    /// Encrypts `plaintext` into `ciphertext` (same length) and returns the tag.
    static func seal(
        key: UnsafeRawBufferPointer,
        nonce: [UInt8],
        associatedData: [UInt8],
        plaintext: UnsafeRawBufferPointer,
        into ciphertext: UnsafeMutableRawBufferPointer
    ) throws -> [UInt8] {
        let context = try CipherContext()
        try context.check(EVP_EncryptInit_ex(context.pointer, EVP_aes_256_gcm(), nil, nil, nil), "EVP_EncryptInit_ex")
        try context.check(EVP_EncryptInit_ex(context.pointer, nil, nil, key.bytes, nonce), "EVP_EncryptInit_ex")
        var length: Int32 = 0
        try context.check(
            EVP_EncryptUpdate(context.pointer, nil, &length, associatedData, Int32(associatedData.count)),
            "EVP_EncryptUpdate"
        )
        try context.check(
            EVP_EncryptUpdate(context.pointer, ciphertext.bytes, &length, plaintext.bytes, Int32(plaintext.count)),
            "EVP_EncryptUpdate"
        )
        try context.check(
            EVP_EncryptFinal_ex(context.pointer, ciphertext.bytes.map { $0 + Int(length) }, &length),
            "EVP_EncryptFinal_ex"
        )
        var tag = [UInt8](repeating: 0, count: tagLength)
        try context.check(
            EVP_CIPHER_CTX_ctrl(context.pointer, EVP_CTRL_GCM_GET_TAG, Int32(tagLength), &tag),
            "EVP_CTRL_GCM_GET_TAG"
        )
        return tag
    }

    /// Decrypts `ciphertext` into `plaintext` (same length) if `tag` authenticates it with `associatedData`.
    static func open(
        key: UnsafeRawBufferPointer,
        nonce: ArraySlice<UInt8>,
        associatedData: [UInt8],
        ciphertext: ArraySlice<UInt8>,
        tag: ArraySlice<UInt8>,
        into plaintext: UnsafeMutableRawBufferPointer
    ) throws {
        let context = try CipherContext()
        let nonce = Array(nonce)
        var tag = Array(tag)
        let ciphertext = Array(ciphertext)
        try context.check(EVP_DecryptInit_ex(context.pointer, EVP_aes_256_gcm(), nil, nil, nil), "EVP_DecryptInit_ex")
        try context.check(EVP_DecryptInit_ex(context.pointer, nil, nil, key.bytes, nonce), "EVP_DecryptInit_ex")
        var length: Int32 = 0
        try context.check(
            EVP_DecryptUpdate(context.pointer, nil, &length, associatedData, Int32(associatedData.count)),
            "EVP_DecryptUpdate"
        )
        try context.check(
            EVP_DecryptUpdate(context.pointer, plaintext.bytes, &length, ciphertext, Int32(ciphertext.count)),
            "EVP_DecryptUpdate"
        )
        try context.check(
            EVP_CIPHER_CTX_ctrl(context.pointer, EVP_CTRL_GCM_SET_TAG, Int32(tagLength), &tag),
            "EVP_CTRL_GCM_SET_TAG"
        )
        guard EVP_DecryptFinal_ex(context.pointer, plaintext.bytes.map { $0 + Int(length) }, &length) == 1 else {
            ERR_clear_error()
            throw CryptoError.authenticationFailed
        }
    }
}

/// An `EVP_CIPHER_CTX`, freed when the value goes.
final class CipherContext {
    let pointer: OpaquePointer

    init() throws {
        guard let pointer = EVP_CIPHER_CTX_new() else { throw CryptoError.openSSL(operation: "EVP_CIPHER_CTX_new") }
        self.pointer = pointer
    }

    deinit { EVP_CIPHER_CTX_free(pointer) }

    func check(_ result: Int32, _ operation: String) throws {
        guard result == 1 else {
            ERR_clear_error()
            throw CryptoError.openSSL(operation: operation)
        }
    }
}

extension UnsafeRawBufferPointer {
    /// The bytes as OpenSSL's `const unsigned char *`.
    var bytes: UnsafePointer<UInt8>? { baseAddress?.assumingMemoryBound(to: UInt8.self) }
}

extension UnsafeMutableRawBufferPointer {
    /// The bytes as OpenSSL's `unsigned char *`.
    var bytes: UnsafeMutablePointer<UInt8>? { baseAddress?.assumingMemoryBound(to: UInt8.self) }
}
