import KeyrotCore
import KeyrotCrypto
import Testing

/// Tokens the fuzzers in ``TokenFuzzTests`` found verifying when they must not, and requests keyrotd signed into
/// tokens it then refused, kept as they were found.
@Suite struct TokenFuzzRegressionTests {
    /// How a found token is made from a valid one, signed by the lab's active key.
    enum Found: String, CaseIterable, CustomTestStringConvertible {
        /// A zero-width joiner right after the second dot: `String.index(after:)` stepped over the dot and its
        /// joiner as one Character, so the signature segment lost the joiner and the token verified.
        case joinerBeforeTheSignature
        /// The same with a combining acute accent, the other kind of mark that joins a dot into one Character.
        case combiningMarkBeforeTheSignature
        /// A byte that is not UTF-8 in a header member keyrotd does not read: `JSONDecoder` never looked at it.
        case invalidUTF8InASkippedHeaderMember
        /// The same in a claim keyrotd does not read.
        case invalidUTF8InASkippedClaim
        /// `user_id` twice, as the re-signing fuzzer wrote it: keyrotd read the first (`u`), PyJWT reads the last
        /// (`user-42`).
        case twoUserIDs
        /// The second `user_id` spelled with an escape, so the bytes `"user_id"` appear once.
        case twoUserIDsOneEscaped
        /// `exp` twice: unexpired to keyrotd, expired to a reader that keeps the last.
        case twoExpiries
        /// `alg` twice in a header: HS256 to keyrotd, `none` to a reader that keeps the last.
        case twoAlgorithms
        /// An `iat` of `null`, as the re-signing fuzzer wrote it: keyrotd took it for no `iat`; PyJWT refuses it.
        case nullIssuedAt
        /// A `kid` of `null`: keyrotd took it for no `kid` and tried every key.
        case nullKeyID

        var testDescription: String { rawValue }

        func token(from lab: TokenLab) throws -> String {
            let now = TokenLab.now.secondsSinceEpoch
            let claims = Array(#"{"exp":\#(now + 900),"iat":\#(now),"user_id":"u""#.utf8)
            let header = Array(#"{"alg":"HS256","kid":"acme.4""#.utf8)
            switch self {
            case .joinerBeforeTheSignature, .combiningMarkBeforeTheSignature:
                let valid = try lab.sign(TokenRequest(userID: "user-42"))
                let cut = valid.utf8.lastIndex(of: UInt8(ascii: "."))!
                let mark = self == .joinerBeforeTheSignature ? "\u{200D}" : "\u{301}"
                return String(valid[...cut]) + mark + String(valid[valid.utf8.index(after: cut)...])
            case .invalidUTF8InASkippedHeaderMember:
                return lab.forge(
                    header: header + Array(#","":"a"#.utf8) + [0x8E] + Array(#""}"#.utf8),
                    claims: claims + [0x7D]
                )
            case .twoUserIDs:
                let found = #"{"user_id":"u","iat":1795600000,"exp":17955600900,"iat":1795600000,"user_id":"user-42"}"#
                return lab.forge(header: header + [0x7D], claims: Array(found.utf8))
            case .twoUserIDsOneEscaped:
                return lab.forge(header: header + [0x7D], claims: claims + Array(#","user\u005fid":"admin"}"#.utf8))
            case .twoExpiries:
                return lab.forge(header: header + [0x7D], claims: claims + Array(#","exp":\#(now - 3600)}"#.utf8))
            case .twoAlgorithms:
                return lab.forge(header: header + Array(#","alg":"none"}"#.utf8), claims: claims + [0x7D])
            case .nullIssuedAt:
                let found = #"{"user_id":"u","iat":null,"exp":\#(now + 300)}"#
                return lab.forge(header: #"{"alg":"HS256","typ":"JWT"}"#, claims: found)
            case .nullKeyID:
                return lab.forge(header: Array(#"{"alg":"HS256","kid":null}"#.utf8), claims: claims + [0x7D])
            case .invalidUTF8InASkippedClaim:
                return lab.forge(
                    header: header + [0x7D],
                    claims: claims + Array(#","x":""#.utf8) + [0xC0, 0x80] + Array(#""}"#.utf8)
                )
            }
        }
    }

    /// TTLs the signing fuzzer found in a workspace whose `max_token_ttl` allowed them: the token's `exp` lay past
    /// 2^53 s, so keyrotd signed a token its own verification called malformed.
    static let ttlsPastTheLatestNumericDate: [Int64] = [
        TokenRules.latestNumericDate, 9_091_792_005_491_378_389 - TokenLab.now.secondsSinceEpoch, .max,
    ]

    @Test(arguments: ttlsPastTheLatestNumericDate)
    func aTTLPastTheLatestNumericDateIsRefused(seconds: Int64) throws {
        var lab = try TokenLab()
        lab.policy.maxTokenTTL = .seconds(.max)
        #expect {
            try lab.sign(TokenRequest(userID: "u", ttl: .seconds(seconds)))
        } throws: { error in
            "\(error)".contains("ttl reaches beyond the latest time a token can carry")
        }
        let latest = TokenRules.latestNumericDate - TokenLab.now.secondsSinceEpoch
        let token = try lab.sign(TokenRequest(userID: "u", ttl: .seconds(latest)))
        #expect(try lab.verify(token).get().expiresAt.secondsSinceEpoch == TokenRules.latestNumericDate)
    }

    @Test(arguments: Found.allCases)
    func aFoundTokenIsMalformed(_ found: Found) throws {
        let lab = try TokenLab()
        let token = try found.token(from: lab)
        #expect(lab.reason(token) == .malformed)
        #expect(lab.verify(token, recognisingHeaders: true) == lab.verify(token))
    }
}

extension TokenFuzzRegressionTests {
    /// Claims that take the second reading (an escape, or a name twice) and read the same both ways still verify.
    @Test(arguments: [
        #"{"exp":1795600900,"user_id":"line\nbreak"}"#, #"{"exp":1795600900,"user\u005fid":"u"}"#,
        #"{"exp":1795600900,"user_id":"u","user_id":"u"}"#, #"{"exp":1795600900,"user_id":"u","note":"\"user_id\""}"#,
    ])
    func claimsThatReadTheSameBothWaysVerify(claims: String) throws {
        let lab = try TokenLab()
        let token = lab.forge(header: #"{"alg":"HS256","kid":"acme.4"}"#, claims: claims)
        #expect(throws: Never.self) { try lab.verify(token).get() }
    }
}
