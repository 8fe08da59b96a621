import KeyrotCrypto
import KeyrotTestSupport
import Testing

@Suite struct SecretBytesTests {
    @Test func neverPrintsItsBytes() {
        let bytes: [UInt8] = Array("super-secret-value-0123456789abcd".utf8)
        let secret = SecretBytes(copying: bytes)
        var dumped = ""
        dump(secret, to: &dumped)
        for rendering in [String(describing: secret), String(reflecting: secret), "\(secret)", dumped] {
            #expect(rendering.contains("redacted"))
            #expect(!rendering.contains("super-secret"))
            #expect(!rendering.contains(bytes.hex))
            #expect(!rendering.contains("115"))  // no decimal byte list either
        }
    }

    @Test func comparesByContent() {
        #expect(SecretBytes(copying: [1, 2, 3]) == SecretBytes(copying: [1, 2, 3]))
        #expect(SecretBytes(copying: [1, 2, 3]) != SecretBytes(copying: [1, 2, 4]))
        #expect(SecretBytes(copying: [1, 2, 3]) != SecretBytes(copying: [1, 2]))
    }

    @Test(arguments: [
        ([UInt8](), [UInt8](), true), ([1], [1], true), ([1, 2], [1, 3], false), ([1], [1, 1], false),
    ])
    func constantTimeEqualityIsEquality(a: [UInt8], b: [UInt8], equal: Bool) {
        #expect(ConstantTime.equals(a, b) == equal)
    }
}
