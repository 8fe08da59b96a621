import Foundation
import KeyrotCore
import KeyrotCrypto
import KeyrotTestSupport
import Testing

/// Property-based fuzzing of token verification with real HMAC keys: hostile tokens made from valid ones, for a
/// bounded time (`KEYROT_FUZZ_SECONDS`, replay with `KEYROT_FUZZ_SEED`).
///
/// The properties: nothing traps; the recognised-header fast path and the parsing path give the same verdict; a
/// token changed after signing never verifies unless it is byte for byte a token keyrotd signed; a token re-signed
/// after its JSON was mutated verifies only if an independent JSON reading agrees with what was verified; and any
/// request keyrotd signs verifies to exactly what was asked.
@Suite struct TokenFuzzTests {
    /// One workspace a case runs against, and the valid tokens it holds.
    struct Target {
        let lab: TokenLab
        let tokens: [[UInt8]]

        /// A workspace of `algorithm`; with `unboundedTTL`, its `max_token_ttl` is the longest span there is.
        init(_ algorithm: SigningAlgorithm, unboundedTTL: Bool = false) throws {
            var lab = try TokenLab(algorithm: algorithm)
            if unboundedTTL {
                lab.policy = try WorkspacePolicy(
                    algorithm: algorithm,
                    rotateEvery: .days(1),
                    grace: .hours(1),
                    tokenTTL: .minutes(15),
                    maxTokenTTL: .seconds(.max)
                )
            }
            self.lab = lab
            let now = TokenLab.now.secondsSinceEpoch
            let claims = #"{"user_id":"u","iat":\#(now),"exp":\#(now + 300)}"#
            let header = #"{"alg":"\#(algorithm.rawValue)","typ":"JWT"}"#
            tokens = [
                try lab.sign(TokenRequest(userID: "user-42")),
                try lab.sign(TokenRequest(userID: "ü\u{301}\"\\\n", extraClaims: ["plan": .string("pro")])),
                try lab.sign(TokenRequest(userID: "u", extraClaims: ["seats": .number(3), "beta": .bool(true)])),
                lab.forge(header: header, claims: claims),
                lab.forge(header: #"{"alg":"\#(algorithm.rawValue)","kid":"acme.3"}"#, claims: claims, keyID: "acme.3"),
            ].map { Array($0.utf8) }
        }
    }

    static let targets = try! [Target(.hs256), Target(.hs384), Target(.hs512, unboundedTTL: true)]

    @Test func aTokenChangedAfterSigningNeverVerifies() async throws {
        let corpus = Self.targets.flatMap(\.tokens)
        let mutator = ByteMutator(corpus: corpus, maximumLength: TokenRules.maximumTokenSize + 100)
        let report = await FuzzCampaign("changed tokens").run { generator in
            let target = Self.targets.randomElement(using: &generator)!
            let original = target.tokens.randomElement(using: &generator)!
            let mutated =
                generator.oneIn(2)
                ? Self.mutateSegments(original, corpus: corpus, using: &generator)
                : mutator.mutate(original, using: &generator)
            let token = String(decoding: mutated, as: UTF8.self)
            let verdict = try Self.verdict(on: token, in: target.lab)
            let bytes = Array(token.utf8)
            if case .success = verdict, !target.tokens.contains(bytes) {
                throw FuzzViolation("a changed token verified", input: bytes)
            }
            if case .failure(let failure) = verdict {
                let expected: TokenRejection? =
                    bytes.count > TokenRules.maximumTokenSize
                    ? .tooLarge : bytes.count(where: { $0 == UInt8(ascii: ".") }) != 2 ? .malformed : nil
                if let expected, failure.reason != expected {
                    throw FuzzViolation("rejected as \(failure.reason), not \(expected)", input: bytes)
                }
            }
        }
        #expect(report.violations.isEmpty, "\(report)")
    }

    @Test func aTokenResignedAfterItsJSONChangedVerifiesOnlyAsRead() async throws {
        let texts = Self.targets.flatMap(\.tokens).flatMap { token in
            token.split(separator: UInt8(ascii: "."))[0...1].map {
                Base64URL.decode(Substring(decoding: $0, as: UTF8.self))!
            }
        }
        let mutator = ByteMutator(corpus: texts, maximumLength: TokenRules.maximumTokenSize)
        let report = await FuzzCampaign("re-signed tokens").run { generator in
            let target = Self.targets.randomElement(using: &generator)!
            let parts = target.tokens.randomElement(using: &generator)!.split(separator: UInt8(ascii: "."))
            var header = Base64URL.decode(Substring(decoding: parts[0], as: UTF8.self))!
            var claims = Base64URL.decode(Substring(decoding: parts[1], as: UTF8.self))!
            switch Int.random(in: 0..<3, using: &generator) {
            case 0: header = mutator.mutate(header, using: &generator)
            case 1: claims = mutator.mutate(claims, using: &generator)
            default:
                header = mutator.mutate(header, using: &generator)
                claims = mutator.mutate(claims, using: &generator)
            }
            let key = target.lab.keys.randomElement(using: &generator)!
            let input = Base64URL.encode(header) + "." + Base64URL.encode(claims)
            let mac = HMAC.authenticationCode(key.algorithm, key: target.lab.secrets[key.keyID]!, message: input.utf8)
            let token = TokenRules.token(signingInput: input, signature: mac)
            guard case .success(let verified) = try Self.verdict(on: token, in: target.lab) else { return }
            try Self.checkAgainstIndependentReading(verified, header: header, claims: claims, lab: target.lab)
        }
        #expect(report.violations.isEmpty, "\(report)")
    }

    @Test func anyRequestKeyrotdSignsVerifiesToWhatWasAsked() async throws {
        let report = await FuzzCampaign("signed requests").run { generator in
            let target = Self.targets.randomElement(using: &generator)!
            let request = Self.randomRequest(using: &generator)
            let description = "\(request)"
            let token: String
            do { token = try target.lab.sign(request) } catch {
                let finite = request.extraClaims.values.allSatisfy { value in
                    if case .number(let number) = value { number.isFinite } else { true }
                }
                let tooLate = "\(error)".contains("beyond")  // a TTL past what a NumericDate can say
                if finite, !"\(error)".contains("4096 bytes"), !tooLate {
                    throw FuzzViolation("refused: \(error)", input: Array(description.utf8))
                }
                return
            }
            guard case .success(let verified) = try Self.verdict(on: token, in: target.lab) else {
                throw FuzzViolation(
                    "its own token did not verify: \(target.lab.verify(token))",
                    input: Array(token.utf8)
                )
            }
            let ttl = min(request.ttl ?? target.lab.policy.tokenTTL, target.lab.policy.maxTokenTTL)
            guard Array(verified.userID.utf8) == Array(request.userID.utf8), verified.keyID == "acme.4",
                verified.expiresAt == TokenLab.now + ttl, verified.extraClaims == request.extraClaims
            else {
                throw FuzzViolation("verified as \(verified)", input: Array(description.utf8))
            }
        }
        #expect(report.violations.isEmpty, "\(report)")
    }

    /// The verdict on `token`, after checking that the recognised-header path agrees with the parsing path.
    static func verdict(on token: String, in lab: TokenLab) throws -> Result<VerifiedToken, TokenFailure> {
        let parsed = lab.verify(token)
        let recognised = lab.verify(token, recognisingHeaders: true)
        guard parsed == recognised else {
            throw FuzzViolation("parsed \(parsed) but recognised \(recognised)", input: Array(token.utf8))
        }
        if case .success(let verified) = parsed { _ = verified.extraClaims }
        return parsed
    }

    /// Structure-aware changes: segments swapped, dropped, repeated, taken from another token or replaced with
    /// base64url of random bytes; a hostile fragment next to a dot.
    static func mutateSegments(
        _ token: [UInt8],
        corpus: [[UInt8]],
        using generator: inout SeededGenerator
    ) -> [UInt8] {
        var parts = token.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false).map(Array.init)
        let index = Int.random(in: parts.indices, using: &generator)
        switch Int.random(in: 0..<6, using: &generator) {
        case 0: parts.swapAt(index, Int.random(in: parts.indices, using: &generator))
        case 1: parts.remove(at: index)
        case 2: parts.insert(parts[index], at: index)
        case 3:
            let donor = corpus.randomElement(using: &generator)!.split(separator: UInt8(ascii: "."))
            parts[index] = Array(donor[index % donor.count])
        case 4:
            let random = (0..<Int.random(in: 0...64, using: &generator)).map { _ in
                UInt8.random(in: .min ... .max, using: &generator)
            }
            parts[index] = Array(Base64URL.encode(random).utf8)
        default:
            let fragment = ByteMutator.hostileFragments.randomElement(using: &generator)!
            if generator.oneIn(2) { parts[index].insert(contentsOf: fragment, at: 0) } else { parts[index] += fragment }
        }
        return Array(parts.joined(separator: [UInt8(ascii: ".")]))
    }

    /// Holds a verified token against `JSONSerialization`'s reading of the JSON that was signed.
    static func checkAgainstIndependentReading(
        _ verified: VerifiedToken,
        header: [UInt8],
        claims: [UInt8],
        lab: TokenLab
    ) throws {
        let signed = Array(header) + [UInt8(ascii: ".")] + claims
        guard String(validating: header, as: UTF8.self) != nil, String(validating: claims, as: UTF8.self) != nil else {
            throw FuzzViolation("verified JSON that is not UTF-8", input: signed)
        }
        // JSONDecoder does not look inside the strings of members it skips, so a raw control character or a lone
        // surrogate escape there passes; only a key holder can sign such JSON, and keyrotd lets it be. The stricter
        // reading then fails, and there is nothing to compare. JSONSerialization drops a byte order mark that
        // starts a string (a key too), so it is no independent reader of JSON holding one.
        guard !Self.holdsAByteOrderMark(header), !Self.holdsAByteOrderMark(claims) else { return }
        guard let headerObject = try? JSONSerialization.jsonObject(with: Data(header)) as? [String: Any],
            let claimsObject = try? JSONSerialization.jsonObject(with: Data(claims)) as? [String: Any]
        else { return }
        let key = lab.keys.first { $0.keyID == verified.keyID }
        guard let key, key.verifies(at: TokenLab.now), headerObject["alg"] as? String == key.algorithm.rawValue,
            headerObject["crit"] == nil
        else { throw FuzzViolation("verified with key \(verified.keyID)", input: signed) }
        if let kid = headerObject["kid"], kid as? String != key.keyID {
            throw FuzzViolation("verified with key \(key.keyID), not its kid", input: signed)
        }
        let leeway = Double(lab.policy.clockSkew.seconds)
        let now = Double(TokenLab.now.secondsSinceEpoch)
        guard let userID = claimsObject["user_id"] as? String, Array(userID.utf8) == Array(verified.userID.utf8),
            let exp = (claimsObject["exp"] as? NSNumber)?.doubleValue, now < exp + leeway
        else { throw FuzzViolation("verified as \(verified)", input: signed) }
        for time in ["nbf", "iat"] {
            if let value = claimsObject[time], ((value as? NSNumber)?.doubleValue ?? .infinity) > now + leeway {
                throw FuzzViolation("verified despite \(time) \(value)", input: signed)
            }
        }
    }

    /// Whether `json` holds U+FEFF, raw or escaped.
    static func holdsAByteOrderMark(_ json: [UInt8]) -> Bool {
        json.firstRange(of: [0xEF, 0xBB, 0xBF]) != nil
            || String(decoding: json, as: UTF8.self).lowercased().contains(#"\ufeff"#)
    }

    /// A request with a random user id (any Unicode, control characters included), TTL and extra claims.
    static func randomRequest(using generator: inout SeededGenerator) -> TokenRequest {
        var userID = randomText(using: &generator)
        while userID.utf8.count > TokenRules.maximumUserIDLength { userID.removeLast() }
        if userID.isEmpty { userID = "u" }
        var claims: [String: ClaimValue] = [:]
        for _ in 0..<Int.random(in: 0...3, using: &generator) {
            let name = randomText(using: &generator)
            guard !TokenRules.reservedClaims.contains(name) else { continue }
            claims[name] =
                switch Int.random(in: 0..<3, using: &generator) {
                case 0: .string(randomText(using: &generator))
                case 1: .bool(generator.oneIn(2))
                default: .number(randomNumber(using: &generator))
                }
        }
        let longest: [Int64] = [7200, 1 << 53, .max]
        let ttl =
            generator.oneIn(4)
            ? nil : TimeSpan.seconds(Int64.random(in: 1...longest.randomElement(using: &generator)!, using: &generator))
        return TokenRequest(userID: userID, ttl: ttl, extraClaims: claims)
    }

    static func randomText(using generator: inout SeededGenerator) -> String {
        let pools: [ClosedRange<UInt32>] = [0x00...0x7F, 0x00...0x1F, 0x300...0x36F, 0x80...0xD7FF, 0xE000...0x10FFFF]
        var text = ""
        for _ in 0..<Int.random(in: 0...24, using: &generator) {
            let pool = pools.randomElement(using: &generator)!
            if let scalar = Unicode.Scalar(UInt32.random(in: pool, using: &generator)) {
                text.unicodeScalars.append(scalar)
            }
        }
        return text
    }

    static func randomNumber(using generator: inout SeededGenerator) -> Double {
        let special: [Double] = [
            0, -0.0, 1, -1, 9e15, 9_007_199_254_740_994, 1e300, -1e300, .leastNonzeroMagnitude,
            .greatestFiniteMagnitude, .infinity, .nan, 0.1,
        ]
        if generator.oneIn(2) { return special.randomElement(using: &generator)! }
        return Double(bitPattern: generator.next())
    }
}
