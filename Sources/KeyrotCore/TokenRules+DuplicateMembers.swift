import Foundation

/// Duplicate members in a token's JSON. RFC 7519 §4 asks a parser to reject them or keep the last; `JSONDecoder`
/// keeps the first, so `{"user_id":"alice","user_id":"admin"}` would be alice to keyrotd and admin to PyJWT. When
/// a member keyrotd reads could be there twice, the JSON is read again with `JSONSerialization` (which keeps the
/// last), and a token whose two readings differ is malformed.
extension TokenRules {
    /// The header members keyrotd reads, quoted as JSON writes them plainly.
    static let headerNames = quoted(["alg", "kid", "crit"])
    /// The claims keyrotd reads, quoted as JSON writes them plainly.
    static let claimNames = quoted(["user_id", "exp", "nbf", "iat"])

    private static func quoted(_ names: [String]) -> [[UInt8]] { names.map { Array("\"\($0)\"".utf8) } }

    /// Whether `json` could hold one of `names` (quoted) twice: any escape at all (a name can be spelled with
    /// `\u`), or one of them written twice. Cheap, and false for the JSON keyrotd writes, so its own tokens are read
    /// once.
    static func mayRepeat(_ names: [[UInt8]], in json: [UInt8]) -> Bool {
        guard !json.contains(UInt8(ascii: "\\")) else { return true }
        return names.contains { occurrences(of: $0, in: json) > 1 }
    }

    /// How often `pattern` occurs in `bytes`, counting up to two (a plain loop: the standard library's generic
    /// `firstRange(of:)` took longer than the rest of a verification).
    private static func occurrences(of pattern: [UInt8], in bytes: [UInt8]) -> Int {
        var found = 0
        var start = 0
        while found < 2, start + pattern.count <= bytes.count {
            if bytes[start] == pattern[0], bytes[start..<start + pattern.count].elementsEqual(pattern) {
                found += 1
                start += pattern.count
            } else {
                start += 1
            }
        }
        return found
    }

    /// The members of `json`'s object as `JSONSerialization` reads them; nil if it reads no object.
    private static func lastMembers(of json: [UInt8]) -> [String: Any]? {
        try? JSONSerialization.jsonObject(with: Data(json)) as? [String: Any]
    }

    /// Whether the last of any duplicate `alg`, `kid` and `crit` members say what the first do.
    static func lastMembers(of json: [UInt8], agreeWith header: ReceivedHeader) -> Bool {
        guard let members = lastMembers(of: json) else { return false }
        return sameBytes(members["alg"] as? String, header.alg) && sameBytes(members["kid"] as? String, header.kid)
            && (members["crit"] != nil) == (header.crit != nil)
    }

    /// Whether the last of any duplicate `user_id`, `exp`, `nbf` and `iat` members say what the first do.
    static func lastMembers(of json: [UInt8], agreeWith claims: ReceivedClaims) -> Bool {
        guard let members = lastMembers(of: json) else { return false }
        func number(_ name: String) -> Double? { (members[name] as? NSNumber)?.doubleValue }
        return sameBytes(members["user_id"] as? String, claims.userID) && number("exp") == claims.exp
            && number("nbf") == claims.nbf && number("iat") == claims.iat
    }

    /// String equality by bytes: `==` is canonical equivalence, under which two different user ids can be equal.
    private static func sameBytes(_ a: String?, _ b: String?) -> Bool {
        a.map { Array($0.utf8) } == b.map { Array($0.utf8) }
    }
}
