import Foundation

/// The rules of keyrotd's tokens: JWS compact serialization (RFC 7515) with HMAC (HS256/384/512), the claims
/// keyrotd writes when it signs, and the checks it makes when it verifies. Pure: the MAC is computed by the caller.
public enum TokenRules {
    /// Tokens larger than this are rejected unread (``TokenRejection/tooLarge``).
    public static let maximumTokenSize = 8192
    /// The longest `user_id`, in UTF-8 bytes.
    public static let maximumUserIDLength = 256
    /// The most JSON the extra claims of one token may take, in bytes.
    public static let maximumExtraClaimsSize = 4096
    /// Claims keyrotd sets itself and a caller can never supply.
    public static let reservedClaims: Set<String> = ["user_id", "iat", "exp", "nbf"]
    /// The latest (and, negated, the earliest) NumericDate keyrotd reads: 2^53 s, the last a double holds exactly.
    /// Beyond it a time is malformed, so keyrotd never signs a token that expires later.
    public static let latestNumericDate: Int64 = 9_007_199_254_740_992

    /// The signing input (`base64url(header).base64url(claims)`) of a token for `request`, to be signed with
    /// `key` (and its algorithm) at `now`, and the expiry it carries.
    ///
    /// - Parameter headerSegment: ``headerSegment(for:)`` of `key`, if the caller keeps it (it is the same for every
    ///   token of the key); computed if nil.
    /// - Throws: ``KeyrotError/invalidTokenRequest(_:)`` for an empty or oversized `user_id`, a reserved or
    ///   oversized extra claim, a non-positive TTL, or one that reaches past ``latestNumericDate``.
    public static func signingInput(
        for request: TokenRequest,
        key: KeyRecord,
        policy: WorkspacePolicy,
        now: Timestamp,
        headerSegment: String? = nil
    ) throws(KeyrotError) -> (signingInput: String, expiresAt: Timestamp) {
        try validateUserID(request.userID)
        if let reserved = request.extraClaims.keys.sorted().first(where: reservedClaims.contains) {
            throw .invalidTokenRequest("the claim \"\(reserved)\" is set by keyrotd and cannot be supplied")
        }
        let ttl = min(request.ttl ?? policy.tokenTTL, policy.maxTokenTTL)
        guard ttl.seconds >= 1 else { throw .invalidTokenRequest("ttl must be at least 1s") }
        let expiresAt = now + ttl
        guard expiresAt.secondsSinceEpoch <= latestNumericDate else {
            throw .invalidTokenRequest("ttl reaches beyond the latest time a token can carry (\(latestNumericDate))")
        }

        // Members in key order, so equal inputs give equal tokens: {"exp":…,"iat":…,"user_id":…,EXTRA…}.
        var claims: [UInt8] = [UInt8(ascii: "{")]
        claims.reserveCapacity(96 + request.userID.utf8.count)
        JSONText.appendMember("exp", integer: expiresAt.secondsSinceEpoch, to: &claims)
        claims.append(UInt8(ascii: ","))
        JSONText.appendMember("iat", integer: now.secondsSinceEpoch, to: &claims)
        claims += Array(#","user_id":"#.utf8)
        JSONText.appendString(request.userID, to: &claims)
        if !request.extraClaims.isEmpty {
            let extra = try encodeJSON(ExtraClaims(claims: request.extraClaims))
            guard extra.count <= maximumExtraClaimsSize + 2 else {
                throw .invalidTokenRequest("extra claims take more than \(maximumExtraClaimsSize) bytes")
            }
            claims.append(UInt8(ascii: ","))
            claims += extra.dropFirst().dropLast()
        }
        claims.append(UInt8(ascii: "}"))
        return ((headerSegment ?? Self.headerSegment(for: key)) + "." + Base64URL.encode(claims), expiresAt)
    }

    /// The compact token: the signing input, a dot, and the base64url MAC.
    public static func token(signingInput: String, signature: [UInt8]) -> String {
        signingInput + "." + Base64URL.encode(signature)
    }

    /// Checks `token` against a workspace's keys at `now`.
    ///
    /// - Parameter signatureMatches: whether `signature` is the MAC of `signingInput` under `key`; the caller
    ///   computes it (with a constant-time comparison).
    /// - Returns: the verified token, or the rejection with the key id it concerned (if any).
    public static func verify(
        _ token: String,
        ring: KeyRing,
        policy: WorkspacePolicy,
        now: Timestamp,
        knownHeaders: [Substring: KnownHeader] = [:],
        signatureMatches: (_ key: KeyRecord, _ signingInput: Substring, _ signature: [UInt8]) -> Bool
    ) -> Result<VerifiedToken, TokenFailure> {
        guard token.utf8.count <= maximumTokenSize else { return .failure(TokenFailure(.tooLarge)) }
        let utf8 = token.utf8
        guard let firstDot = utf8.firstIndex(of: UInt8(ascii: ".")),
            let secondDot = utf8[utf8.index(after: firstDot)...].firstIndex(of: UInt8(ascii: ".")),
            !utf8[utf8.index(after: secondDot)...].contains(UInt8(ascii: "."))
        else { return .failure(TokenFailure(.malformed)) }
        // Cut by bytes: `String.index(after:)` steps a whole Character, and a dot followed by a combining mark or
        // a joiner is one Character, which would drop those bytes from the segment after it.
        let parts = [
            token[..<firstDot], token[utf8.index(after: firstDot)..<secondDot], token[utf8.index(after: secondDot)...],
        ]
        // Recognised by bytes: an ASCII segment equal to keyrotd's own is that segment (String equality is
        // canonical-equivalence, which would let look-alike Unicode through).
        let recognised = parts[0].utf8.allSatisfy { $0 < 0x80 } ? knownHeaders[parts[0]]?.received : nil
        guard let header = recognised ?? Self.decodeHeader(parts[0]),
            let signature = Base64URL.decode(parts[2])
        else { return .failure(TokenFailure(.malformed)) }
        guard header.alg.lowercased() != "none", let algorithm = SigningAlgorithm(rawValue: header.alg) else {
            return .failure(TokenFailure(.unsupportedAlgorithm))
        }
        guard header.crit == nil else { return .failure(TokenFailure(.malformed)) }

        // Each key verifies only with its own algorithm: the workspace's when the key was made.
        let signingInput = token[token.startIndex..<parts[1].endIndex]
        let matched: KeyRecord?
        if let keyID = header.kid {
            guard let key = ring.key(withID: keyID) else { return .failure(TokenFailure(.unknownKey, keyID: keyID)) }
            if key.state == .revoked { return .failure(TokenFailure(.revokedKey, keyID: keyID)) }
            guard key.algorithm == algorithm else { return .failure(TokenFailure(.unsupportedAlgorithm, keyID: keyID)) }
            guard key.verifies(at: now) else { return .failure(TokenFailure(.retiredKey, keyID: keyID)) }
            matched = signatureMatches(key, signingInput, signature) ? key : nil
        } else {
            guard !policy.requireKeyID else { return .failure(TokenFailure(.unknownKey)) }
            func matches(_ key: KeyRecord) -> Bool {
                key.algorithm == algorithm && key.verifies(at: now) && signatureMatches(key, signingInput, signature)
            }
            guard
                algorithm == policy.algorithm
                    || ring.keys.contains(where: { $0.algorithm == algorithm && $0.verifies(at: now) })
            else {
                return .failure(TokenFailure(.unsupportedAlgorithm))
            }
            // The signing key first, then the others newest first, with no list made: most tokens come from the key
            // that signs now, and each key tried costs a MAC, so a pile of grace keys costs only the tokens that
            // need them.
            if let signing = ring.signingKey, matches(signing) {
                matched = signing
            } else {
                matched = ring.keys.reversed().first { $0.state != .active && matches($0) }
            }
        }
        guard let key = matched else { return .failure(TokenFailure(.badSignature, keyID: header.kid)) }

        guard let claimBytes = Base64URL.decode(parts[1]),
            let claims = canonicalClaims(claimBytes) ?? readClaims(claimBytes)
        else { return .failure(TokenFailure(.malformed, keyID: key.keyID)) }
        // NumericDates must be finite and within ±2^53 s (exactly representable): anything else is malformed,
        // never a trap when converted.
        let numericDates = [claims.exp, claims.nbf, claims.iat].compactMap { $0 }
        guard numericDates.allSatisfy({ $0.isFinite && abs($0) <= Double(latestNumericDate) }) else {
            return .failure(TokenFailure(.malformed, keyID: key.keyID))
        }
        let leeway = Double(policy.clockSkew.seconds)
        let now = Double(now.secondsSinceEpoch)
        guard let exp = claims.exp, now < exp + leeway else {
            return .failure(TokenFailure(.expired, keyID: key.keyID))
        }
        if let nbf = claims.nbf, nbf > now + leeway { return .failure(TokenFailure(.notYetValid, keyID: key.keyID)) }
        if let iat = claims.iat, iat > now + leeway { return .failure(TokenFailure(.notYetValid, keyID: key.keyID)) }
        guard let userID = claims.userID, !userID.isEmpty else {
            return .failure(TokenFailure(.missingUserID, keyID: key.keyID))
        }
        return .success(
            VerifiedToken(
                keyID: key.keyID,
                userID: userID,
                issuedAt: claims.iat.map { Timestamp(secondsSinceEpoch: Int64($0.rounded(.down))) },
                expiresAt: Timestamp(secondsSinceEpoch: Int64(exp.rounded(.down))),
                claimsJSON: claimBytes
            )
        )
    }

    /// Claims in any form JSON allows (the general reader, for tokens keyrotd did not write in its own form).
    private static func readClaims(_ bytes: [UInt8]) -> ReceivedClaims? {
        guard Self.isUTF8(bytes), let claims = try? JSONDecoder().decode(ReceivedClaims.self, from: Data(bytes)),
            !mayRepeat(claimNames, in: bytes) || lastMembers(of: bytes, agreeWith: claims)
        else { return nil }
        return claims
    }

    private static func decodeHeader(_ segment: Substring) -> ReceivedHeader? {
        guard let bytes = Base64URL.decode(segment), isUTF8(bytes),
            let header = try? JSONDecoder().decode(ReceivedHeader.self, from: Data(bytes)),
            !mayRepeat(headerNames, in: bytes) || lastMembers(of: bytes, agreeWith: header)
        else { return nil }
        return header
    }

    /// Whether `bytes` are valid UTF-8, as RFC 7515 §5.2 asks of a header and RFC 7519 §7.2 of the claims:
    /// `JSONDecoder` checks only the strings it is asked to decode, so a member it skips could carry any bytes.
    private static func isUTF8(_ bytes: [UInt8]) -> Bool {
        bytes.allSatisfy { $0 < 0x80 } || String(validating: bytes, as: UTF8.self) != nil
    }

    /// The header segment keyrotd writes for `key`: a token carrying exactly it needs no JSON parsing.
    public static func headerSegment(for key: KeyRecord) -> String {
        var header: [UInt8] = Array(#"{"alg":"#.utf8)
        JSONText.appendString(key.algorithm.rawValue, to: &header)
        header += Array(#","kid":"#.utf8)
        JSONText.appendString(key.keyID, to: &header)
        header += Array(#","typ":"JWT"}"#.utf8)
        return Base64URL.encode(header)
    }

    private static func encodeJSON(_ value: some Encodable) throws(KeyrotError) -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        do { return Array(try encoder.encode(value)) } catch {
            throw .invalidTokenRequest("a claim cannot be encoded as JSON (\(error))")
        }
    }
}

/// A token that verified: which key, whose, and until when.
public struct VerifiedToken: Hashable, Sendable {
    public var keyID: String
    public var userID: String
    public var issuedAt: Timestamp?
    public var expiresAt: Timestamp
    /// The decoded claims segment, for ``extraClaims``.
    var claimsJSON: [UInt8]

    /// The claims other than `user_id`, `iat`, `exp` and `nbf` that are strings, numbers or booleans (read from
    /// the token when asked for, so a verification that does not need them does not pay for them).
    public var extraClaims: [String: ClaimValue] {
        (try? JSONDecoder().decode(TokenRules.ExtraReceivedClaims.self, from: Data(claimsJSON)))?.claims ?? [:]
    }
}

/// A header keyrotd wrote itself, recognised by its exact segment (see ``TokenRules/headerSegment(for:)``).
public struct KnownHeader: Sendable {
    let received: TokenRules.ReceivedHeader

    public init(for key: KeyRecord) {
        received = TokenRules.ReceivedHeader(alg: key.algorithm.rawValue, kid: key.keyID)
    }
}

/// A rejection and the key id it concerned, if the token named one.
public struct TokenFailure: Error, Hashable, Sendable {
    public var reason: TokenRejection
    public var keyID: String?

    public init(_ reason: TokenRejection, keyID: String? = nil) {
        self.reason = reason
        self.keyID = keyID
    }
}
