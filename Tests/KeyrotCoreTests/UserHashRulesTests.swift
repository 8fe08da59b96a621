import KeyrotCore
import Testing

@Suite struct UserHashRulesTests {
    /// `header.claims` as a token's signing input: what a `user_hash` must never be computed over.
    static func signingInput(header: String, claims: String) -> String {
        Base64URL.encode(Array(header.utf8)) + "." + Base64URL.encode(Array(claims.utf8))
    }

    @Test(arguments: [
        signingInput(header: #"{"alg":"HS256"}"#, claims: #"{"user_id":"x","exp":9007199254740991}"#),
        signingInput(header: #"{"alg":"HS256","kid":"acme.1"}"#, claims: "{}"),
        signingInput(header: " \n{\"alg\":\"HS256\"}", claims: "{}"),
        signingInput(header: "{}", claims: ""),
    ])
    func aUserIDShapedLikeATokensSigningInputIsRefused(userID: String) {
        #expect(throws: KeyrotError.self) { try TokenRules.validateUserHashUserID(userID) }
    }

    @Test(arguments: [
        "user-42", "john.smith", "a.b.c", "jane@example.com", "eyJhbGciOiJIUzI1NiJ9", ".eyJ", "ünïcødé.✓",
        Base64URL.encode(Array("[1]".utf8)) + ".e30",
    ])
    func ordinaryUserIDsAreHashed(userID: String) throws {
        try TokenRules.validateUserHashUserID(userID)
    }

    @Test func theUsualLimitsApplyToo() {
        #expect(throws: KeyrotError.invalidTokenRequest("user_id must not be empty")) {
            try TokenRules.validateUserHashUserID("")
        }
        #expect(throws: KeyrotError.self) { try TokenRules.validateUserHashUserID(String(repeating: "x", count: 257)) }
    }
}
