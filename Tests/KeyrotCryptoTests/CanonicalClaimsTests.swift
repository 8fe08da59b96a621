import Foundation
import KeyrotTestSupport
import Testing

@testable import KeyrotCore

/// The purpose-built reader of keyrotd's own claims against Foundation's `JSONSerialization` (and the general
/// reader): whatever it accepts, they read the same way; everything else it leaves to the general reader.
@Suite struct CanonicalClaimsTests {
    static let userIDs = [
        "user-42", "alice@example.com", "ünïcødé 🙂", "with \"quote\"", "back\\slash", "tab\there", "nul\u{0}",
        "", "\u{2028}", "x/y", "\u{7F}", "\u{FEFF}bom",
    ]

    static func canonical(exp: Int64, iat: Int64, userID: String) -> [UInt8] {
        var json: [UInt8] = [UInt8(ascii: "{")]
        JSONText.appendMember("exp", integer: exp, to: &json)
        json.append(UInt8(ascii: ","))
        JSONText.appendMember("iat", integer: iat, to: &json)
        json += Array(#","user_id":"#.utf8)
        JSONText.appendString(userID, to: &json)
        json.append(UInt8(ascii: "}"))
        return json
    }

    @Test func keyrotdsOwnClaimsAreReadWithoutAParser() {
        let claims = TokenRules.canonicalClaims(Self.canonical(exp: 1_795_603_600, iat: 1_795_600_000, userID: "u-1"))
        #expect(claims?.exp == 1_795_603_600 && claims?.iat == 1_795_600_000 && claims?.userID == "u-1")
        #expect(claims?.nbf == nil)
    }

    @Test(arguments: [
        #"{"exp":1,"iat":2,"user_id":"u","x":1}"#, #"{"iat":2,"exp":1,"user_id":"u"}"#,
        #"{ "exp":1,"iat":2,"user_id":"u"}"#,
        #"{"exp":1.0,"iat":2,"user_id":"u"}"#, #"{"exp":01,"iat":2,"user_id":"u"}"#,
        #"{"exp":1,"iat":2,"user_id":"\u0041"}"#,
        #"{"exp":1,"iat":2,"user_id":"u"} "#, #"{"exp":1,"iat":2,"user_id":"u"}}"#,
        #"{"exp":12345678901234567,"iat":2,"user_id":"u"}"#,
        #"{"exp":-,"iat":2,"user_id":"u"}"#, #"{"exp":1,"iat":2,"user_id":"u"#,
    ])
    func anythingElseGoesToTheGeneralReader(_ json: String) {
        #expect(TokenRules.canonicalClaims(Array(json.utf8)) == nil)
    }

    @Test func whatItAcceptsJSONSerializationReadsTheSameWay() async throws {
        let corpus = Self.userIDs.map { Self.canonical(exp: 1_795_603_600, iat: 1_795_600_000, userID: $0) }
        let mutator = ByteMutator(corpus: corpus, maximumLength: 512)
        var accepted = 0
        let report = await FuzzCampaign("canonical claims").run { generator in
            let seed = corpus.randomElement(using: &generator)!
            let json =
                generator.oneIn(4)
                ? Self.canonical(
                    exp: Int64.random(in: -(1 << 54)...(1 << 54), using: &generator),
                    iat: Int64.random(in: -99...99, using: &generator),
                    userID: Self.userIDs.randomElement(using: &generator)!
                ) : mutator.mutate(seed, using: &generator)
            guard let fast = TokenRules.canonicalClaims(json) else { return }
            accepted += 1
            guard let object = try? JSONSerialization.jsonObject(with: Data(json)) as? [String: Any],
                Set(object.keys) == ["exp", "iat", "user_id"],
                (object["exp"] as? NSNumber)?.doubleValue == fast.exp,
                (object["iat"] as? NSNumber)?.doubleValue == fast.iat,
                (object["user_id"] as? String).map({ Array($0.utf8) }) == fast.userID.map({ Array($0.utf8) })
            else { throw FuzzViolation("JSONSerialization reads it otherwise", input: json) }
            let general = try JSONDecoder().decode(TokenRules.ReceivedClaims.self, from: Data(json))
            guard general.exp == fast.exp, general.iat == fast.iat, general.nbf == nil,
                general.userID.map({ Array($0.utf8) }) == fast.userID.map({ Array($0.utf8) })
            else { throw FuzzViolation("the general reader reads it otherwise", input: json) }
        }
        #expect(report.violations.isEmpty, "\(report)")
        #expect(accepted > 0, "the campaign never reached the reader's accepting side")
    }
}
