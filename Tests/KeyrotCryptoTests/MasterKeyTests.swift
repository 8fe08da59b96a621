import Foundation
import KeyrotCore
import KeyrotTestSupport
import Testing

@testable import KeyrotCrypto

@Suite struct MasterKeyTests {
    let acme = try! WorkspaceName("acme")

    /// The GCM specification's test case 16 (AES-256, 96-bit IV, with associated data).
    @Test func aesGCMMatchesTheGCMSpecificationVector() throws {
        let key = [UInt8](hex: "feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308")
        let plaintext = [UInt8](
            hex:
                "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39"
        )
        let aad = [UInt8](hex: "feedfacedeadbeeffeedfacedeadbeefabaddad2")
        let nonce = [UInt8](hex: "cafebabefacedbaddecaf888")
        let expectedCiphertext =
            "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662"
        var ciphertext = [UInt8](repeating: 0, count: plaintext.count)
        let tag = try key.withUnsafeBytes { key in
            try plaintext.withUnsafeBytes { input in
                try ciphertext.withUnsafeMutableBytes { output in
                    try AESGCM.seal(key: key, nonce: nonce, associatedData: aad, plaintext: input, into: output)
                }
            }
        }
        #expect(ciphertext.hex == expectedCiphertext)
        #expect(tag.hex == "76fc6ece0f4e1768cddf8853bb2d551b")

        var opened = [UInt8](repeating: 0, count: plaintext.count)
        try key.withUnsafeBytes { key in
            try opened.withUnsafeMutableBytes { output in
                try AESGCM.open(
                    key: key,
                    nonce: nonce[...],
                    associatedData: aad,
                    ciphertext: ciphertext[...],
                    tag: tag[...],
                    into: output
                )
            }
        }
        #expect(opened == plaintext)
    }

    @Test func sealedSecretsOpenOnlyWithTheirKeyAndContext() throws {
        let master = try MasterKey.generate()
        let secret = try SecureRandom.secret(count: 32)
        let context = SealingContext.key(workspace: acme, keyID: "acme.1")
        let sealed = try master.seal(secret, for: context)

        #expect(sealed.count == 1 + 12 + 32 + 16)
        #expect(try master.open(sealed, for: context) == secret)
        #expect(throws: CryptoError.authenticationFailed) { try MasterKey.generate().open(sealed, for: context) }
        #expect(throws: CryptoError.authenticationFailed) {
            try master.open(sealed, for: .key(workspace: acme, keyID: "acme.2"))
        }
        #expect(throws: CryptoError.authenticationFailed) {
            try master.open(sealed, for: .key(workspace: try WorkspaceName("other"), keyID: "acme.1"))
        }
        #expect(throws: CryptoError.authenticationFailed) { try master.open(sealed, for: .canary) }
    }

    @Test func everyAlteredByteIsCaught() throws {
        let master = try MasterKey.generate()
        let context = SealingContext.key(workspace: acme, keyID: "acme.1")
        let sealed = try master.seal(try SecureRandom.secret(count: 32), for: context)
        for index in 1..<sealed.count {
            var tampered = sealed
            tampered[index] ^= 0x01
            #expect(throws: CryptoError.authenticationFailed) { try master.open(tampered, for: context) }
        }
        var wrongVersion = sealed
        wrongVersion[0] = 2
        #expect(throws: CryptoError.malformedSealedData) { try master.open(wrongVersion, for: context) }
        #expect(throws: CryptoError.malformedSealedData) { try master.open(sealed.prefix(29), for: context) }
    }

    @Test func sealingTheSameSecretTwiceGivesDifferentBytes() throws {
        let master = try MasterKey.generate()
        let secret = try SecureRandom.secret(count: 32)
        #expect(try master.seal(secret, for: .canary) != master.seal(secret, for: .canary))
    }

    @Test func aMasterKeyMustBe32Bytes() {
        #expect(throws: CryptoError.invalidKeyLength(expected: 32, actual: 16)) {
            try MasterKey(SecretBytes(copying: [UInt8](repeating: 7, count: 16)))
        }
    }

    @Test(arguments: SigningAlgorithm.allCases)
    func generatedSecretsHaveTheAlgorithmsLengthAndAreFresh(algorithm: SigningAlgorithm) throws {
        let sealer = MasterKeySealer(masterKey: try .generate())
        let first = try sealer.sealNewSecret(algorithm: algorithm, workspace: acme, keyID: "acme.1")
        let second = try sealer.sealNewSecret(algorithm: algorithm, workspace: acme, keyID: "acme.1")
        let context = SealingContext.key(workspace: acme, keyID: "acme.1")
        let a = try sealer.masterKey.open(first, for: context)
        let b = try sealer.masterKey.open(second, for: context)
        #expect(a.count == algorithm.secretLength)
        #expect(a != b)
    }

    @Test func theCanaryOpensOnlyUnderTheKeyThatSealedIt() throws {
        let sealer = MasterKeySealer(masterKey: try .generate())
        let canary = try sealer.sealCanary()
        #expect(sealer.opensCanary(canary))
        #expect(!MasterKeySealer(masterKey: try .generate()).opensCanary(canary))
        #expect(!sealer.opensCanary(Data([1, 2, 3])))
    }
}
