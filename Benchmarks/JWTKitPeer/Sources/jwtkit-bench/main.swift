import Foundation
import JWTKit

// jwtkit-bench SECONDS ROUNDS: signs and verifies keyrotd's claims (user_id, iat, exp; HS256, kid) with jwt-kit and
// prints one JSON line per round: {"sign": ops/s, "verify": ops/s}.

struct Claims: JWTPayload {
    var user_id: String
    var iat: IssuedAtClaim
    var exp: ExpirationClaim

    func verify(using algorithm: some JWTAlgorithm) throws {
        try exp.verifyNotExpired()
    }
}

let arguments = CommandLine.arguments
let seconds = arguments.count > 1 ? Double(arguments[1]) ?? 1 : 1
let rounds = arguments.count > 2 ? Int(arguments[2]) ?? 5 : 5

let keys = JWTKeyCollection()
await keys.add(hmac: HMACKey(from: Data((0..<32).map { UInt8($0) })), digestAlgorithm: .sha256, kid: "acme.1")
let now = Date()
let claims = Claims(user_id: "user-42", iat: IssuedAtClaim(value: now), exp: ExpirationClaim(value: now + 3600))
let token = try await keys.sign(claims, kid: "acme.1")

func rate(_ body: () async throws -> Void) async rethrows -> Double {
    let clock = ContinuousClock()
    let start = clock.now
    var count = 0
    while clock.now - start < .seconds(seconds) {
        for _ in 0..<100 { try await body() }
        count += 100
    }
    let elapsed = clock.now - start
    return Double(count) / (Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
}

for _ in 0..<rounds {
    let sign = try await rate { _ = try await keys.sign(claims, kid: "acme.1") }
    let verify = try await rate { _ = try await keys.verify(token, as: Claims.self) }
    print(#"{"sign": \#(Int(sign)), "verify": \#(Int(verify))}"#)
}
