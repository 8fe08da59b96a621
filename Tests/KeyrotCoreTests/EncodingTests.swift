import Foundation
import Testing

@testable import KeyrotCore

@Suite struct EncodingTests {
    @Test func base64URLAgreesWithFoundationForEveryLengthAndRoundTrips() {
        var generator = SystemRandomNumberGenerator()
        for length in 0..<70 {
            let bytes = (0..<length).map { _ in UInt8.random(in: 0...255, using: &generator) }
            let expected = Data(bytes).base64EncodedString()
                .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
                .replacingOccurrences(of: "=", with: "")
            let encoded = Base64URL.encode(bytes)
            #expect(encoded == expected)
            #expect(Base64URL.decode(Substring(encoded)) == bytes)
        }
    }

    @Test(arguments: ["a", "ab=", "ab+/", "a b", "YQ==", "YR", "ab\u{0}c", "é"])
    func base64URLRefusesAnythingButCanonicalUnpaddedText(text: String) {
        #expect(Base64URL.decode(Substring(text)) == nil)
    }

    @Test(arguments: [
        "plain", "with \"quotes\" and \\backslash\\", "new\nline\ttab\r", "\u{0}\u{1}\u{1F}", "ünïcødé ✓ 🔑",
        "</script>",
    ])
    func jsonStringsReadBackAsWritten(text: String) throws {
        var json: [UInt8] = []
        JSONText.appendString(text, to: &json)
        #expect(try JSONDecoder().decode(String.self, from: Data(json)) == text)
    }
}
