extension TokenRules {
    /// The MAC algorithm of Intercom's legacy identity verification (`user_hash`): HMAC-SHA256 of the user id,
    /// whatever algorithm the workspace signs its tokens with.
    public static let userHashAlgorithm = SigningAlgorithm.hs256

    /// Checks a `user_id` as a token or a `user_hash` needs it.
    ///
    /// - Throws: ``KeyrotError/invalidTokenRequest(_:)`` for an empty one, or one longer than
    ///   ``maximumUserIDLength`` bytes.
    public static func validateUserID(_ userID: String) throws(KeyrotError) {
        guard !userID.isEmpty else { throw .invalidTokenRequest("user_id must not be empty") }
        guard userID.utf8.count <= maximumUserIDLength else {
            throw .invalidTokenRequest("user_id is longer than \(maximumUserIDLength) bytes")
        }
    }

    /// A `user_hash` as Intercom reads it: the MAC (``userHashAlgorithm`` over the user id's UTF-8 bytes, keyed
    /// with the secret's bytes), in lowercase hex.
    public static func userHash(mac: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var text: [UInt8] = []
        text.reserveCapacity(mac.count * 2)
        for byte in mac {
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 15)])
        }
        return String(decoding: text, as: UTF8.self)
    }
}
