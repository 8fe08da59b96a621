import Foundation
import KeyrotCore
import KeyrotCrypto
import KeyrotTestSupport
import Testing

/// keyrotd's tokens against PyJWT, the library most backends verifying Intercom-style tokens use.
@Suite struct PyJWTInteropTests {
    /// The lab's active key's secret, as hex on PyJWT's standard input (never on a command line).
    func secretHex(_ lab: TokenLab) -> String {
        lab.secrets["acme.4"]!.withUnsafeBytes { $0.map { String(format: "%02x", $0) }.joined() }
    }

    var realNow: Timestamp { Timestamp(secondsSinceEpoch: Int64(Date().timeIntervalSince1970)) }

    @Test(arguments: SigningAlgorithm.allCases)
    func pyJWTVerifiesWhatKeyrotdSigns(algorithm: SigningAlgorithm) throws {
        let lab = try TokenLab(algorithm: algorithm)
        let token = try lab.sign(TokenRequest(userID: "user-42", extraClaims: ["plan": .string("pro")]), at: realNow)
        let script = """
            import sys, jwt
            secret_hex, token = sys.stdin.read().split()
            claims = jwt.decode(token, bytes.fromhex(secret_hex), algorithms=["\(algorithm.rawValue)"])
            header = jwt.get_unverified_header(token)
            print(claims["user_id"], claims["plan"], header["kid"], claims["exp"] - claims["iat"])
            """
        let result = try InteropPython.run(script, input: secretHex(lab) + " " + token)
        #expect(result.status == 0, "PyJWT (\(InteropPython.executable)): \(result.standardError)")
        #expect(result.standardOutput == "user-42 pro acme.4 900\n")
    }

    @Test func keyrotdVerifiesWhatPyJWTSigns() throws {
        let lab = try TokenLab()
        let now = realNow.secondsSinceEpoch
        let script = """
            import sys, jwt
            secret = bytes.fromhex(sys.stdin.read().strip())
            claims = {"user_id": "py-7", "iat": \(now), "exp": \(now + 300), "email": "a@example.com"}
            print(jwt.encode(claims, secret, algorithm="HS256"))
            print(jwt.encode(claims, secret, algorithm="HS256", headers={"kid": "acme.4"}))
            print(jwt.encode(claims, b"another secret of thirty-two bytes!", algorithm="HS256"))
            print(jwt.encode({"user_id": "py-7", "exp": \(now - 120)}, secret, algorithm="HS256"))
            """
        let result = try InteropPython.run(script, input: secretHex(lab))
        #expect(result.status == 0, "PyJWT (\(InteropPython.executable)): \(result.standardError)")
        let tokens = result.standardOutput.split(separator: "\n").map(String.init)
        try #require(tokens.count == 4)
        // Intercom-style: no kid, so every verifying key is tried.
        let withoutKid = try lab.verify(tokens[0], at: realNow).get()
        #expect(withoutKid.userID == "py-7")
        #expect(withoutKid.keyID == "acme.4")
        #expect(withoutKid.extraClaims["email"] == .string("a@example.com"))
        #expect(try lab.verify(tokens[1], at: realNow).get().userID == "py-7")
        #expect(lab.reason(tokens[2], at: realNow) == .badSignature)
        #expect(lab.reason(tokens[3], at: realNow) == .expired)
    }
}
