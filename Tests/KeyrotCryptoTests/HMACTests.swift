import KeyrotCore
import KeyrotCrypto
import KeyrotTestSupport
import Testing

@Suite struct HMACTests {
    static let jefe = Array("what do ya want for nothing?".utf8)

    /// RFC 4231 test case 2 for each hash.
    @Test(arguments: [
        (SigningAlgorithm.hs256, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"),
        (.hs384, "af45d2e376484031617f78d2b58a6b1b9c7ef464f5a01b47e42ec3736322445e8e2240ca5e69e2c78b3239ecfab21649"),
        (
            .hs512,
            "164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea2505549758bf75c05a994a6d034f65f8f0e6fdcaeab1a34d4a6b4b636e070a38bce737"
        ),
    ])
    func matchesRFC4231(algorithm: SigningAlgorithm, expected: String) {
        let mac = HMAC.authenticationCode(algorithm, key: SecretBytes(copying: Array("Jefe".utf8)), message: Self.jefe)
        #expect(mac.hex == expected)
        #expect(HMAC.isValid(mac, for: Self.jefe, key: SecretBytes(copying: Array("Jefe".utf8)), algorithm: algorithm))
    }

    /// A prepared key gives the same MACs, message after message, from many threads at once.
    @Test(arguments: SigningAlgorithm.allCases)
    func aPreparedKeyMatchesTheOneShotMACFromManyThreads(algorithm: SigningAlgorithm) async throws {
        let secret = SecretBytes(copying: Array("Jefe".utf8))
        let key = try HMACKey(algorithm, key: secret)
        let messages = (0..<64).map { Array("message \($0) ".utf8) + Self.jefe }
        let expected = messages.map { HMAC.authenticationCode(algorithm, key: secret, message: $0) }
        let mismatches = await withTaskGroup(of: Int.self) { group in
            for _ in 0..<8 {
                group.addTask {
                    (0..<200).reduce(0) { count, round in
                        let index = round % messages.count
                        return count + (key.authenticationCode(for: messages[index]) == expected[index] ? 0 : 1)
                    }
                }
            }
            return await group.reduce(0, +)
        }
        #expect(mismatches == 0)
        #expect(key.isValid(expected[3], for: messages[3]) && !key.isValid(expected[3], for: messages[4]))
    }

    /// RFC 4231 test case 7: a key longer than the block size.
    @Test func matchesRFC4231WithALongKey() {
        let key = SecretBytes(copying: [UInt8](repeating: 0xAA, count: 131))
        let message = Array(
            ("This is a test using a larger than block-size key and a larger than block-size data. The key needs to be "
                + "hashed before being used by the HMAC algorithm.").utf8
        )
        #expect(
            HMAC.authenticationCode(.hs256, key: key, message: message).hex
                == "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2"
        )
    }

    @Test func aWrongOrTruncatedMACIsInvalid() {
        let key = SecretBytes(copying: Array("Jefe".utf8))
        var mac = HMAC.authenticationCode(.hs256, key: key, message: Self.jefe)
        #expect(!HMAC.isValid(Array(mac.dropLast()), for: Self.jefe, key: key, algorithm: .hs256))
        mac[0] ^= 1
        #expect(!HMAC.isValid(mac, for: Self.jefe, key: key, algorithm: .hs256))
        #expect(!HMAC.isValid([], for: Self.jefe, key: key, algorithm: .hs256))
    }

    /// Intercom's `user_hash` written as the rules write it: RFC 4231 test case 2 through ``TokenRules``.
    @Test func aUserHashIsTheHMACSHA256InLowercaseHex() throws {
        let mac = try HMACKey(TokenRules.userHashAlgorithm, key: SecretBytes(copying: Array("Jefe".utf8)))
        #expect(
            TokenRules.userHash(mac: mac.authenticationCode(for: Self.jefe))
                == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        )
        #expect(TokenRules.userHash(mac: [0x00, 0x0f, 0xa0, 0xff]) == "000fa0ff")
        #expect(throws: KeyrotError.invalidTokenRequest("user_id must not be empty")) {
            try TokenRules.validateUserID("")
        }
    }
}
