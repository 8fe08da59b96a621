import Foundation

/// libFuzzer's entry point: an input is a token's header JSON, a NUL, its claims JSON, a NUL and its signature's
/// bytes (a part left out is empty), each base64url-encoded and joined with dots, so the fuzzer mutates JSON rather
/// than base64; an input with no NUL is a token as it stands. Every signature counts as valid, so the claims are
/// always read.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzToken(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    let bytes = Array(UnsafeRawBufferPointer(start: start, count: count))
    let token: String
    if bytes.contains(0) {
        let parts = bytes.split(separator: 0, maxSplits: 2, omittingEmptySubsequences: false)
        token =
            parts.map { Base64URL.encode($0) }.joined(separator: ".")
            + String(repeating: ".", count: max(0, 2 - (parts.count - 1)))
    } else {
        token = String(decoding: bytes, as: UTF8.self)
    }
    let result = TokenRules.verify(
        token,
        ring: FuzzTarget.ring,
        policy: FuzzTarget.policy,
        now: FuzzTarget.now,
        signatureMatches: FuzzTarget.everySignatureMatches
    )
    if case .success(let verified) = result {
        precondition(!verified.userID.isEmpty)
        _ = verified.extraClaims
    }
    return 0
}

/// The workspace every input is verified against: one active HS256 key, `acme.1`.
enum FuzzTarget {
    static let now = Timestamp(secondsSinceEpoch: 1_795_600_000)
    static let ring = KeyRing(keys: [
        KeyRecord(
            workspace: try! WorkspaceName("acme"),
            keyID: "acme.1",
            state: .active,
            createdAt: Timestamp(secondsSinceEpoch: 0)
        )
    ])
    static let policy = try! WorkspacePolicy(
        algorithm: .hs256,
        rotateEvery: .days(1),
        grace: .hours(1),
        tokenTTL: .minutes(15),
        maxTokenTTL: .hours(1)
    )

    static func everySignatureMatches(_ key: KeyRecord, _ input: Substring, _ signature: [UInt8]) -> Bool { true }
}
