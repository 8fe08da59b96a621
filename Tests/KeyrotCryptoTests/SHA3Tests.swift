import KeyrotCrypto
import KeyrotTestSupport
import Testing

@Suite struct SHA3Tests {
    @Test(arguments: [
        (256, "abc", "3a985da74fe225b2045c172d6bd390bd855f086e3e9d525b46bfe24511431532"),
        (256, "", "a7ffc6f8bf1ed76651c14756a061d662f580ff4de43b49fa82d80a4b80f8434a"),
        (224, "abc", "e642824c3f8cf24ad09234ee7d3c766fc9a3a5168d0c94ad73b46fdf"),
        (
            512, "abc",
            "b751850b1a57168a5693cd924b6b096e08f621827444f70d884f5d0240d2712e10e116e9192af3c91a7ec57647e3934057340b4cf408d5a56592f8274eec53f0"
        ),
    ])
    func matchesFIPS202KnownAnswers(bits: Int, input: String, digest: String) {
        #expect(SHA3.digest(bits: bits, of: Array(input.utf8))?.hex == digest)
    }

    @Test func refusesSizesSHA3DoesNotHave() {
        #expect(SHA3.digest(bits: 128, of: [1, 2, 3]) == nil)
    }
}
