/// The claims keyrotd writes, read without a JSON parser: `{"exp":N,"iat":N,"user_id":"…"}` exactly as
/// ``TokenRules/signingInput(for:key:policy:now:)`` writes them when there are no extra claims and the user id needs
/// no escape. Anything else, even valid JSON with the same meaning, is left to the general reader.
///
/// - Important: This is the one purpose-built JSON reader DESIGN allows on the verify hot path. It reads only a
///   form in which every member appears once, with plain integers and a plain string, so what it reads is what any
///   JSON parser reads; a differential fuzz campaign (`CanonicalClaimsTests`) holds it to `JSONSerialization`.
extension TokenRules {
    /// The claims in `json`, if `json` is exactly in keyrotd's own form; nil otherwise.
    static func canonicalClaims(_ json: [UInt8]) -> ReceivedClaims? {
        json.withUnsafeBufferPointer { bytes -> ReceivedClaims? in
            var reader = CanonicalReader(bytes: bytes)
            guard reader.expect(#"{"exp":"#), let exp = reader.integer(),
                reader.expect(#","iat":"#), let iat = reader.integer(),
                reader.expect(#","user_id":""#), let userID = reader.plainString(),
                reader.expect("}"), reader.atEnd
            else { return nil }
            return ReceivedClaims(userID: userID, exp: Double(exp), nbf: nil, iat: Double(iat))
        }
    }
}

/// A cursor over the bytes of a canonical claims object.
private struct CanonicalReader {
    let bytes: UnsafeBufferPointer<UInt8>
    var index = 0

    var atEnd: Bool { index == bytes.count }

    /// Steps over `literal` if the bytes continue with it exactly.
    mutating func expect(_ literal: StaticString) -> Bool {
        let count = literal.utf8CodeUnitCount
        guard bytes.count - index >= count else { return false }
        let matches = literal.withUTF8Buffer { expected in
            (0..<count).allSatisfy { bytes[index + $0] == expected[$0] }
        }
        if matches { index += count }
        return matches
    }

    /// An integer as keyrotd writes one: an optional minus, then 1 to 16 digits without a leading zero (`0` alone
    /// excepted), so it is exact as a double and within ±2^53.
    mutating func integer() -> Int64? {
        let negative = index < bytes.count && bytes[index] == UInt8(ascii: "-")
        let start = negative ? index + 1 : index
        var end = start
        var value: Int64 = 0
        while end < bytes.count, end - start < 17, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[end]) {
            value = value * 10 + Int64(bytes[end] - UInt8(ascii: "0"))
            end += 1
        }
        let digits = end - start
        guard (1...16).contains(digits), digits == 1 || bytes[start] != UInt8(ascii: "0"),
            value <= TokenRules.latestNumericDate
        else { return nil }
        index = end
        return negative ? -value : value
    }

    /// A string's content up to its closing quote, if it holds no escape, no control character and no U+FEFF
    /// (readers disagree on a byte-order mark: `JSONSerialization` drops one that starts a string) and is valid
    /// UTF-8; the closing quote is stepped over.
    mutating func plainString() -> String? {
        var end = index
        while end < bytes.count, bytes[end] != UInt8(ascii: "\"") {
            guard bytes[end] >= 0x20, bytes[end] != UInt8(ascii: "\\") else { return nil }
            if bytes[end] == 0xEF, end + 2 < bytes.count, bytes[end + 1] == 0xBB, bytes[end + 2] == 0xBF { return nil }
            end += 1
        }
        guard end < bytes.count else { return nil }
        guard let text = String(validating: UnsafeBufferPointer(rebasing: bytes[index..<end]), as: UTF8.self) else {
            return nil
        }
        index = end + 1
        return text
    }
}
