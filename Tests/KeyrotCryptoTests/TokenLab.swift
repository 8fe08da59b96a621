import Foundation
import KeyrotCore
import KeyrotCrypto

/// A workspace's keys with their secrets in memory, to sign and verify real HMAC tokens through the core's rules.
struct TokenLab {
    static let now = Timestamp(secondsSinceEpoch: 1_795_600_000)
    static let acme = try! WorkspaceName("acme")

    var policy: WorkspacePolicy
    var keys: [KeyRecord]
    var secrets: [String: SecretBytes]

    /// A workspace of `algorithm` whose keys were all made with it.
    init(algorithm: SigningAlgorithm = .hs256) throws {
        policy = try WorkspacePolicy(
            algorithm: algorithm,
            rotateEvery: .days(1),
            grace: .hours(1),
            tokenTTL: .minutes(15),
            maxTokenTTL: .hours(1)
        )
        let t = Self.now
        keys = [
            KeyRecord(workspace: Self.acme, keyID: "acme.1", state: .revoked, createdAt: t + .seconds(-9000)),
            KeyRecord(
                workspace: Self.acme,
                keyID: "acme.2",
                state: .grace,
                createdAt: t + .seconds(-7200),
                activatedAt: t + .seconds(-7200),
                graceUntil: t + .seconds(-1)
            ),
            KeyRecord(
                workspace: Self.acme,
                keyID: "acme.3",
                state: .grace,
                createdAt: t + .seconds(-3600),
                activatedAt: t + .seconds(-3600),
                graceUntil: t + .seconds(600)
            ),
            KeyRecord(
                workspace: Self.acme,
                keyID: "acme.4",
                state: .active,
                createdAt: t + .seconds(-60),
                activatedAt: t + .seconds(-60)
            ),
        ]
        for index in keys.indices { keys[index].algorithm = algorithm }
        secrets = [:]
        for key in keys { secrets[key.keyID] = try SecureRandom.secret(count: algorithm.secretLength) }
    }

    /// Signs `request` with the active key, as the daemon does.
    func sign(_ request: TokenRequest, at time: Timestamp = now) throws -> String {
        let key = KeyRing(keys: keys).signingKey!
        let (input, _) = try TokenRules.signingInput(for: request, key: key, policy: policy, now: time)
        return TokenRules.token(
            signingInput: input,
            signature: HMAC.authenticationCode(policy.algorithm, key: secrets[key.keyID]!, message: Array(input.utf8))
        )
    }

    /// Verifies `token` against the lab's keys at `time`; with `recognisingHeaders`, keyrotd's own header segments
    /// are recognised unparsed, as the daemon does.
    func verify(
        _ token: String,
        at time: Timestamp = now,
        recognisingHeaders: Bool = false
    ) -> Result<VerifiedToken, TokenFailure> {
        TokenRules.verify(
            token,
            ring: KeyRing(keys: keys),
            policy: policy,
            now: time,
            knownHeaders: recognisingHeaders ? knownHeaders : [:]
        ) { key, input, signature in
            HMAC.isValid(signature, for: input.utf8, key: secrets[key.keyID]!, algorithm: key.algorithm)
        }
    }

    /// The header segments keyrotd writes for the lab's keys, as the daemon's token service keeps them.
    var knownHeaders: [Substring: KnownHeader] {
        var known: [Substring: KnownHeader] = [:]
        for key in keys { known[Substring(TokenRules.headerSegment(for: key))] = KnownHeader(for: key) }
        return known
    }

    /// A token with exactly this header and these claims (JSON text), signed with `secret` (or key `keyID`'s).
    func forge(header: String, claims: String, keyID: String = "acme.4", secret: SecretBytes? = nil) -> String {
        forge(header: Array(header.utf8), claims: Array(claims.utf8), keyID: keyID, secret: secret)
    }

    /// A token with exactly these header and claims bytes (valid UTF-8 or not), signed like ``forge(header:claims:keyID:secret:)``.
    func forge(header: [UInt8], claims: [UInt8], keyID: String = "acme.4", secret: SecretBytes? = nil) -> String {
        let input = Base64URL.encode(header) + "." + Base64URL.encode(claims)
        let key = secret ?? secrets[keyID]!
        return TokenRules.token(
            signingInput: input,
            signature: HMAC.authenticationCode(policy.algorithm, key: key, message: Array(input.utf8))
        )
    }

    func reason(_ token: String, at time: Timestamp = now) -> TokenRejection? {
        if case .failure(let failure) = verify(token, at: time) { return failure.reason }
        return nil
    }
}
