import Foundation
import KeyrotCore
import KeyrotCrypto
import Testing

@Suite struct TokenTests {
    let now = TokenLab.now.secondsSinceEpoch

    /// RFC 7515 appendix A.1: the example HS256 JWS. It has no `user_id` and expired in 2011, so keyrotd rejects it
    /// for that — after its signature verified (a bad signature is reported first).
    @Test func theRFC7515ExampleSignatureVerifies() throws {
        let token =
            "eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9.eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ.dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
        let key = SecretBytes(
            copying: Base64URL.decode(
                "AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow"
            )!
        )
        var lab = try TokenLab()
        lab.keys = [KeyRecord(workspace: TokenLab.acme, keyID: "rfc", state: .active, createdAt: TokenLab.now)]
        lab.secrets = ["rfc": key]
        let beforeExpiry = Timestamp(secondsSinceEpoch: 1_300_819_370)
        #expect(lab.reason(token, at: beforeExpiry) == .missingUserID)
        #expect(lab.reason(token, at: Timestamp(secondsSinceEpoch: 1_300_819_380 + 60)) == .expired)
        lab.secrets = ["rfc": SecretBytes(copying: [UInt8](repeating: 1, count: 64))]
        #expect(lab.reason(token, at: beforeExpiry) == .badSignature)
    }

    @Test func aSignedTokenCarriesKidUserAndTimesAndVerifies() throws {
        let lab = try TokenLab()
        let token = try lab.sign(
            TokenRequest(userID: "user-42", extraClaims: ["plan": .string("pro"), "seats": .number(3)])
        )
        let parts = token.split(separator: ".")
        let header = try JSONSerialization.jsonObject(with: Data(Base64URL.decode(parts[0])!)) as? [String: String]
        #expect(header == ["alg": "HS256", "typ": "JWT", "kid": "acme.4"])
        let claims = try JSONSerialization.jsonObject(with: Data(Base64URL.decode(parts[1])!)) as? [String: Any]
        #expect(claims?["user_id"] as? String == "user-42")
        #expect(claims?["iat"] as? Int64 == now)
        #expect(claims?["exp"] as? Int64 == now + 900)
        let verified = try lab.verify(token).get()
        #expect(verified.keyID == "acme.4")
        #expect(verified.userID == "user-42")
        #expect(verified.expiresAt.secondsSinceEpoch == now + 900)
        #expect(verified.extraClaims == ["plan": .string("pro"), "seats": .number(3)])
    }

    @Test func theTTLIsCappedAtTheWorkspacesMaximum() throws {
        let lab = try TokenLab()
        let token = try lab.sign(TokenRequest(userID: "u", ttl: .days(7)))
        #expect(try lab.verify(token).get().expiresAt.secondsSinceEpoch == now + 3600)
    }

    @Test(arguments: [
        (TokenRequest(userID: ""), "must not be empty"),
        (TokenRequest(userID: String(repeating: "u", count: 257)), "longer than 256"),
        (TokenRequest(userID: "u", extraClaims: ["exp": .number(1)]), "\"exp\" is set by keyrotd"),
        (TokenRequest(userID: "u", extraClaims: ["user_id": .string("admin")]), "\"user_id\" is set by keyrotd"),
        (TokenRequest(userID: "u", extraClaims: ["nbf": .number(1)]), "\"nbf\" is set by keyrotd"),
        (TokenRequest(userID: "u", extraClaims: ["blob": .string(String(repeating: "x", count: 5000))]), "4096 bytes"),
        (TokenRequest(userID: "u", ttl: .zero), "at least 1s"),
    ])
    func badSigningRequestsAreRefusedWithTheReason(request: TokenRequest, message: String) throws {
        let lab = try TokenLab()
        #expect {
            try lab.sign(request)
        } throws: { error in
            "\(error)".contains(message)
        }
    }

    @Test func eachKindOfBadTokenHasItsOwnReason() throws {
        let lab = try TokenLab()
        let good = #"{"user_id":"u","iat":\#(now),"exp":\#(now + 300)}"#
        func header(_ alg: String = "HS256", kid: String? = "acme.4") -> String {
            kid.map { #"{"alg":"\#(alg)","typ":"JWT","kid":"\#($0)"}"# } ?? #"{"alg":"\#(alg)","typ":"JWT"}"#
        }
        let valid = lab.forge(header: header(), claims: good)
        let cases: [(String, String, TokenRejection?)] = [
            ("valid", valid, nil),
            ("no kid: tried against each verifying key", lab.forge(header: header(kid: nil), claims: good), nil),
            (
                "grace key inside its window", lab.forge(header: header(kid: "acme.3"), claims: good, keyID: "acme.3"),
                nil
            ),
            ("alg none", header("none").base64url + "." + good.base64url + ".", .unsupportedAlgorithm),
            ("alg None", lab.forge(header: header("None"), claims: good), .unsupportedAlgorithm),
            ("another algorithm", lab.forge(header: header("HS512"), claims: good), .unsupportedAlgorithm),
            ("RS256", lab.forge(header: header("RS256"), claims: good), .unsupportedAlgorithm),
            ("unknown kid", lab.forge(header: header(kid: "acme.99"), claims: good), .unknownKey),
            ("revoked kid", lab.forge(header: header(kid: "acme.1"), claims: good, keyID: "acme.1"), .revokedKey),
            (
                "grace window closed", lab.forge(header: header(kid: "acme.2"), claims: good, keyID: "acme.2"),
                .retiredKey
            ),
            (
                "signed by another key than its kid", lab.forge(header: header(kid: "acme.3"), claims: good),
                .badSignature
            ),
            (
                "signed with a stranger's secret",
                lab.forge(
                    header: header(),
                    claims: good,
                    secret: SecretBytes(copying: [UInt8](repeating: 7, count: 32))
                ),
                .badSignature
            ),
            (
                "claims swapped after signing",
                String(valid.split(separator: ".")[0]) + "." + #"{"user_id":"admin","exp":9999999999}"#.base64url + "."
                    + String(valid.split(separator: ".")[2]), .badSignature
            ),
            (
                "signature stripped", String(valid.split(separator: ".")[0...1].joined(separator: ".")) + ".",
                .badSignature
            ),
            (
                "expired beyond the leeway",
                lab.forge(header: header(), claims: #"{"user_id":"u","exp":\#(now - 60)}"#), .expired
            ),
            ("no exp", lab.forge(header: header(), claims: #"{"user_id":"u"}"#), .expired),
            (
                "nbf in the future",
                lab.forge(header: header(), claims: #"{"user_id":"u","nbf":\#(now + 61),"exp":\#(now + 300)}"#),
                .notYetValid
            ),
            (
                "iat in the future",
                lab.forge(header: header(), claims: #"{"user_id":"u","iat":\#(now + 61),"exp":\#(now + 300)}"#),
                .notYetValid
            ),
            ("no user_id", lab.forge(header: header(), claims: #"{"exp":\#(now + 300)}"#), .missingUserID),
            (
                "empty user_id", lab.forge(header: header(), claims: #"{"user_id":"","exp":\#(now + 300)}"#),
                .missingUserID
            ),
            (
                "numeric user_id", lab.forge(header: header(), claims: #"{"user_id":42,"exp":\#(now + 300)}"#),
                .missingUserID
            ),
            ("exp beyond any date", lab.forge(header: header(), claims: #"{"user_id":"u","exp":1e300}"#), .malformed),
            (
                "iat before any date",
                lab.forge(header: header(), claims: #"{"user_id":"u","exp":\#(now + 300),"iat":-1e300}"#), .malformed
            ),
            (
                "nbf beyond any date",
                lab.forge(header: header(), claims: #"{"user_id":"u","exp":\#(now + 300),"nbf":1e19}"#), .malformed
            ),
            ("exp as text", lab.forge(header: header(), claims: #"{"user_id":"u","exp":"tomorrow"}"#), .malformed),
            ("claims not an object", lab.forge(header: header(), claims: #"["u"]"#), .malformed),
            ("claims not JSON", lab.forge(header: header(), claims: "user_id=u"), .malformed),
            ("header not JSON", lab.forge(header: "HS256", claims: good), .malformed),
            ("header without alg", lab.forge(header: #"{"kid":"acme.4"}"#, claims: good), .malformed),
            ("kid not a string", lab.forge(header: #"{"alg":"HS256","kid":4}"#, claims: good), .malformed),
            (
                "crit extension", lab.forge(header: #"{"alg":"HS256","kid":"acme.4","crit":["exp"]}"#, claims: good),
                .malformed
            ),
            ("two segments", "abc.def", .malformed),
            ("four segments", valid + ".x", .malformed),
            ("empty", "", .malformed),
            ("padding", valid + "=", .malformed),
            (
                "standard base64 alphabet",
                valid.replacingOccurrences(of: "_", with: "/").replacingOccurrences(of: "-", with: "+") + "+/",
                .malformed
            ),
            ("whitespace", " " + valid, .malformed),
            ("huge", valid + String(repeating: "A", count: 9000), .tooLarge),
        ]
        for (name, token, expected) in cases {
            #expect(lab.reason(token) == expected, "\(name)")
        }
    }

    @Test func recognisedHeadersGiveTheSameVerdictsAsParsedOnes() throws {
        let lab = try TokenLab()
        var known: [Substring: KnownHeader] = [:]
        for key in lab.keys { known[Substring(TokenRules.headerSegment(for: key))] = KnownHeader(for: key) }
        let good = try lab.sign(TokenRequest(userID: "u"))
        let parts = good.split(separator: ".")
        let tampered = parts[0] + "." + parts[1] + "." + Base64URL.encode([UInt8](repeating: 1, count: 32))
        let revoked = TokenRules.headerSegment(for: lab.keys[0]) + "." + parts[1] + "." + parts[2]
        for token in [good, String(tampered), revoked] {
            let parsed = lab.verify(token)
            let recognised = TokenRules.verify(
                token,
                ring: KeyRing(keys: lab.keys),
                policy: lab.policy,
                now: TokenLab.now,
                knownHeaders: known
            ) {
                key,
                input,
                signature in
                HMAC.isValid(signature, for: input.utf8, key: lab.secrets[key.keyID]!, algorithm: key.algorithm)
            }
            #expect(parsed == recognised)
        }
        #expect(lab.reason(String(tampered)) == .badSignature)
        #expect(lab.reason(revoked) == .revokedKey)
    }

    @Test func aLookAlikeOfKeyrotdsOwnHeaderIsNotRecognised() throws {
        var lab = try TokenLab()
        // Find a key id whose header segment has a "K", which U+212A KELVIN SIGN canonically equals.
        let key = try #require(
            (1...200).lazy.map {
                KeyRecord(workspace: TokenLab.acme, keyID: "k\($0)", state: .active, createdAt: TokenLab.now)
            }
            .first { TokenRules.headerSegment(for: $0).contains("K") }
        )
        lab.keys = [key]
        lab.secrets = [key.keyID: try SecureRandom.secret(count: 32)]
        let known = [Substring(TokenRules.headerSegment(for: key)): KnownHeader(for: key)]
        let lookalike = TokenRules.headerSegment(for: key).replacingOccurrences(of: "K", with: "\u{212A}")
        let claims = Base64URL.encode(Array(#"{"user_id":"u","exp":\#(now + 300)}"#.utf8))
        let input = lookalike + "." + claims
        let token = TokenRules.token(
            signingInput: input,
            signature: HMAC.authenticationCode(.hs256, key: lab.secrets[key.keyID]!, message: Array(input.utf8))
        )
        let result = TokenRules.verify(
            token,
            ring: KeyRing(keys: lab.keys),
            policy: lab.policy,
            now: TokenLab.now,
            knownHeaders: known
        ) {
            key,
            input,
            signature in
            HMAC.isValid(signature, for: input.utf8, key: lab.secrets[key.keyID]!, algorithm: key.algorithm)
        }
        #expect(result == .failure(TokenFailure(.malformed)))
    }

    @Test func aTokenWithoutKidIsTriedAgainstTheSigningKeyFirstThenTheNewest() throws {
        var lab = try TokenLab()
        let pending = KeyRecord(workspace: TokenLab.acme, keyID: "acme.5", state: .pending, createdAt: TokenLab.now)
        lab.keys.append(pending)
        lab.secrets[pending.keyID] = try SecureRandom.secret(count: 32)
        let claims = #"{"user_id":"u","exp":\#(now + 300)}"#
        func keysTried(signedBy keyID: String) -> [String] {
            var tried: [String] = []
            let token = lab.forge(header: #"{"alg":"HS256"}"#, claims: claims, keyID: keyID)
            let result = TokenRules.verify(token, ring: KeyRing(keys: lab.keys), policy: lab.policy, now: TokenLab.now)
            {
                key,
                input,
                signature in
                tried.append(key.keyID)
                return HMAC.isValid(signature, for: input.utf8, key: lab.secrets[key.keyID]!, algorithm: key.algorithm)
            }
            #expect((try? result.get())?.keyID == keyID)
            return tried
        }
        #expect(keysTried(signedBy: "acme.4") == ["acme.4"])
        #expect(keysTried(signedBy: "acme.3") == ["acme.4", "acme.5", "acme.3"])
    }

    @Test func theClockSkewLeewayAppliesBothWays() throws {
        let lab = try TokenLab()
        let header = #"{"alg":"HS256","kid":"acme.4"}"#
        #expect(lab.reason(lab.forge(header: header, claims: #"{"user_id":"u","exp":\#(now - 59)}"#)) == nil)
        #expect(
            lab.reason(lab.forge(header: header, claims: #"{"user_id":"u","exp":\#(now + 1),"nbf":\#(now + 59)}"#))
                == nil
        )
        var strict = try TokenLab()
        strict.policy.clockSkew = .zero
        #expect(strict.reason(strict.forge(header: header, claims: #"{"user_id":"u","exp":\#(now)}"#)) == .expired)
        #expect(strict.reason(strict.forge(header: header, claims: #"{"user_id":"u","exp":\#(now + 1)}"#)) == nil)
    }

    @Test func aWorkspaceThatRequiresKidRejectsTokensWithout() throws {
        var lab = try TokenLab()
        lab.policy.requireKeyID = true
        let token = lab.forge(header: #"{"alg":"HS256"}"#, claims: #"{"user_id":"u","exp":\#(now + 300)}"#)
        #expect(lab.reason(token) == .unknownKey)
    }

    @Test(arguments: SigningAlgorithm.allCases)
    func everyAlgorithmSignsAndVerifies(algorithm: SigningAlgorithm) throws {
        let lab = try TokenLab(algorithm: algorithm)
        let token = try lab.sign(TokenRequest(userID: "u"))
        #expect(try lab.verify(token).get().userID == "u")
        // A workspace whose keys are of another algorithm refuses it, with or without a kid.
        let other = try TokenLab(algorithm: algorithm == .hs256 ? .hs512 : .hs256)
        #expect(other.reason(token) == .unsupportedAlgorithm)
        let parts = token.split(separator: ".")
        let withoutKid = other.forge(
            header: #"{"alg":"\#(algorithm.rawValue)"}"#,
            claims: String(decoding: Base64URL.decode(parts[1])!, as: UTF8.self)
        )
        #expect(other.reason(withoutKid) == .unsupportedAlgorithm)
    }

    @Test func graceKeysKeepVerifyingWithTheirOwnAlgorithmAfterTheWorkspaceChangesIt() throws {
        var lab = try TokenLab(algorithm: .hs256)
        let oldToken = try lab.sign(TokenRequest(userID: "u"))
        // The workspace moved to HS512: acme.4 went to grace, acme.5 (HS512) signs.
        lab.policy.algorithm = .hs512
        lab.keys[3].state = .grace
        lab.keys[3].graceUntil = TokenLab.now + .seconds(600)
        lab.keys.append(
            KeyRecord(
                workspace: TokenLab.acme,
                keyID: "acme.5",
                algorithm: .hs512,
                state: .active,
                createdAt: TokenLab.now
            )
        )
        lab.secrets["acme.5"] = try SecureRandom.secret(count: 64)
        #expect(try lab.verify(oldToken).get().keyID == "acme.4")
        let newToken = try lab.sign(TokenRequest(userID: "u"))
        let newHeader = String(decoding: Base64URL.decode(newToken.split(separator: ".")[0])!, as: UTF8.self)
        #expect(newHeader == #"{"alg":"HS512","kid":"acme.5","typ":"JWT"}"#)
        #expect(try lab.verify(newToken).get().keyID == "acme.5")
    }
}

extension String {
    var base64url: String { Base64URL.encode(Array(utf8)) }
}
