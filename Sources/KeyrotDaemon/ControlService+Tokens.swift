import Foundation
import KeyrotControl
import KeyrotCore

extension ControlService {
    func sign(_ parameters: KeyrotAPI.SignParameters, _ request: Request) throws -> VarlinkReply {
        let workspace = try workspaceName(parameters.workspace)
        try requireSigner(request, of: workspace)
        let token = try Self.tokenRequest(parameters)
        return Self.reply(try tokens.sign(token, for: workspace, at: request.now, mayBlock: request.mayBlock))
    }

    func userHash(_ parameters: KeyrotAPI.UserHashParameters, _ request: Request) throws -> VarlinkReply {
        let workspace = try workspaceName(parameters.workspace)
        try requireSigner(request, of: workspace)
        let (userHash, keyID) = try tokens.userHash(
            for: parameters.user_id,
            in: workspace,
            mayBlock: request.mayBlock
        )
        return .parameters(KeyrotAPI.UserHashResult(user_hash: userHash, key_id: keyID))
    }

    /// The token request a `Sign` call asks for.
    static func tokenRequest(_ parameters: KeyrotAPI.SignParameters) throws -> TokenRequest {
        var claims: [String: ClaimValue] = [:]
        for (name, value) in parameters.claims ?? [:] {
            switch value {
            case .string(let text): claims[name] = .string(text)
            case .number(let number): claims[name] = .number(number)
            case .bool(let flag): claims[name] = .bool(flag)
            default: throw VarlinkError.invalidArgument("claim \"\(name)\" must be a string, a number or a boolean")
            }
        }
        let ttl = try parameters.ttl.map { text throws(KeyrotError) in try TimeSpan(parsing: text) }
        return TokenRequest(userID: parameters.user_id, ttl: ttl, extraClaims: claims)
    }

    /// The reply to `Sign`, written by hand: it is the hottest reply, and `JSONEncoder` took a third of its cost.
    /// The bytes are what `VarlinkReply.parameters(KeyrotAPI.SignResult(...))` writes (a test holds them to it).
    static func reply(_ signed: SignedToken) -> VarlinkReply {
        var json: [UInt8] = []
        json.reserveCapacity(signed.token.utf8.count + 128)
        json += Array(#"{"parameters":{"expires_at":"#.utf8)
        JSONText.appendString(signed.expiresAt.iso8601, to: &json)
        json += Array(#","issued_at":"#.utf8)
        JSONText.appendString(signed.issuedAt.iso8601, to: &json)
        json += Array(#","key_id":"#.utf8)
        JSONText.appendString(signed.keyID, to: &json)
        json += Array(#","token":"#.utf8)
        JSONText.appendString(signed.token, to: &json)
        json += Array("}}".utf8)
        return .encoded(json)
    }

    func verify(_ parameters: KeyrotAPI.VerifyParameters, _ request: Request) throws -> VarlinkReply {
        let workspace = try workspaceName(parameters.workspace)
        try requireSigner(request, of: workspace)
        let outcome = try tokens.verify(parameters.token, for: workspace, at: request.now, mayBlock: request.mayBlock)
        if case .failure(let failure) = outcome, failure.reason == .revokedKey {
            try request.requireBlocking()  // the event goes to the journal
            let key = failure.keyID ?? "(unknown)"
            events.report(
                DaemonEvent(
                    .revokedKeyPresented,
                    "a token signed with revoked key \(key) of workspace \(workspace) was presented for "
                        + "verification by uid \(request.peer.uid), pid \(request.peer.pid)",
                    workspace: workspace,
                    keyID: failure.keyID,
                    actor: request.actor
                )
            )
        }
        return Self.reply(outcome)
    }

    static func reply(_ outcome: Result<VerifiedToken, TokenFailure>) -> VarlinkReply {
        switch outcome {
        case .success(let token):
            .parameters(
                KeyrotAPI.VerifyResult(
                    valid: true,
                    key_id: token.keyID,
                    user_id: token.userID,
                    expires_at: token.expiresAt.iso8601,
                    claims: token.extraClaims.mapValues(JSONValue.init)
                )
            )
        case .failure(let failure):
            .parameters(KeyrotAPI.VerifyResult(valid: false, reason: failure.reason.rawValue, key_id: failure.keyID))
        }
    }
}

extension JSONValue {
    init(_ claim: ClaimValue) {
        switch claim {
        case .string(let text): self = .string(text)
        case .number(let number): self = .number(number)
        case .bool(let flag): self = .bool(flag)
        }
    }
}
