import Foundation
import KeyrotControl
import KeyrotCore

extension ControlService {
    func sign(_ request: Request) throws -> VarlinkReply {
        let parameters = try request.parameters(KeyrotAPI.SignParameters.self)
        let workspace = try workspaceName(parameters.workspace)
        try requireSigner(request, of: workspace)
        var claims: [String: ClaimValue] = [:]
        for (name, value) in parameters.claims ?? [:] {
            switch value {
            case .string(let text): claims[name] = .string(text)
            case .number(let number): claims[name] = .number(number)
            case .bool(let flag): claims[name] = .bool(flag)
            default: throw VarlinkError.invalidRequest("claim \"\(name)\" must be a string, a number or a boolean")
            }
        }
        let ttl = try parameters.ttl.map { text throws(KeyrotError) in try TimeSpan(parsing: text) }
        let signed = try tokens.sign(
            TokenRequest(userID: parameters.user_id, ttl: ttl, extraClaims: claims),
            for: workspace,
            at: request.now
        )
        return .parameters(
            KeyrotAPI.SignResult(
                token: signed.token,
                key_id: signed.keyID,
                issued_at: signed.issuedAt.iso8601,
                expires_at: signed.expiresAt.iso8601
            )
        )
    }

    func verify(_ request: Request) throws -> VarlinkReply {
        let parameters = try request.parameters(KeyrotAPI.VerifyParameters.self)
        let workspace = try workspaceName(parameters.workspace)
        try requireSigner(request, of: workspace)
        switch try tokens.verify(parameters.token, for: workspace, at: request.now) {
        case .success(let token):
            return .parameters(
                KeyrotAPI.VerifyResult(
                    valid: true,
                    key_id: token.keyID,
                    user_id: token.userID,
                    expires_at: token.expiresAt.iso8601,
                    claims: token.extraClaims.mapValues(JSONValue.init)
                )
            )
        case .failure(let failure):
            if failure.reason == .revokedKey {
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
            return .parameters(
                KeyrotAPI.VerifyResult(valid: false, reason: failure.reason.rawValue, key_id: failure.keyID)
            )
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
