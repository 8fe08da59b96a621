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

    /// Checks a `user_id` for a `user_hash`: as a token's (``validateUserID(_:)``), and not in the form of a token's
    /// signing input. The hash is HMAC-SHA256 under the same secret as the workspace's HS256 tokens (Intercom uses
    /// one secret for both), so the hash of `BASE64URL(header).BASE64URL(claims)` would be a valid signature of a
    /// token with any claims and any expiry the caller chose: a signer could mint what `Sign` would never sign.
    ///
    /// - Throws: ``KeyrotError/invalidTokenRequest(_:)``.
    public static func validateUserHashUserID(_ userID: String) throws(KeyrotError) {
        try validateUserID(userID)
        let parts = userID.utf8.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false)
        guard parts.count == 2, let header = Base64URL.decode(Substring(userID.prefix { $0 != "." })) else { return }
        let whitespace: Set<UInt8> = [0x20, 0x09, 0x0A, 0x0D]
        if header.first(where: { !whitespace.contains($0) }) == UInt8(ascii: "{") {
            throw .invalidTokenRequest(
                "user_id has the form of a token's signing input (a JSON header in base64url, a dot, more base64url); "
                    + "its user_hash would sign that token"
            )
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
