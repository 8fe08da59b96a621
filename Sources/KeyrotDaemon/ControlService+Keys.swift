import Foundation
import KeyrotControl
import KeyrotCore
import KeyrotCrypto
import KeyrotStore

extension ControlService {
    func rotate(_ parameters: KeyrotAPI.RotateParameters, _ request: Request) throws -> VarlinkReply {
        try requireAdministrator(request)
        let workspace = try workspaceName(parameters.workspace)
        do throws(StoreError) {
            try requireHealthyStore()
            let entries = try store.rotate(
                workspace,
                mode: parameters.emergency == true ? .emergency : .manual,
                reason: parameters.reason,
                at: request.now,
                actor: request.actor
            )
            return changed(entries)
        } catch {
            if case .refused = error { throw error }
            let problem = error.description
            events.report(
                DaemonEvent(
                    .rotationFailed,
                    "the \(parameters.emergency == true ? "emergency " : "")rotation of workspace \(workspace) "
                        + "asked by uid \(request.peer.uid) failed: \(problem)",
                    workspace: workspace,
                    reason: problem,
                    actor: request.actor
                )
            )
            throw error
        }
    }

    func flagLeak(_ parameters: KeyrotAPI.FlagLeakParameters, _ request: Request) throws -> VarlinkReply {
        try requireAdministrator(request)
        let workspace = try workspaceName(parameters.workspace)
        return try revocation(of: parameters.key_id, in: workspace, leaked: true, reason: parameters.reason, request) {
            () throws(StoreError) in
            try store.flagLeak(
                workspace,
                keyID: parameters.key_id,
                reason: parameters.reason,
                at: request.now,
                actor: request.actor
            )
        }
    }

    func revoke(_ parameters: KeyrotAPI.RevokeParameters, _ request: Request) throws -> VarlinkReply {
        try requireAdministrator(request)
        let workspace = try workspaceName(parameters.workspace)
        return try revocation(of: parameters.key_id, in: workspace, leaked: false, reason: parameters.reason, request) {
            () throws(StoreError) in
            try store.revoke(
                workspace,
                keyID: parameters.key_id,
                reason: parameters.reason,
                at: request.now,
                actor: request.actor
            )
        }
    }

    /// Stores a revocation with `store`; if the store cannot take it (unhealthy, a full disk), the revocation is
    /// held in memory at once (``RevocationBacklog``) and the reply says it is not yet durable. A refusal (an
    /// unknown key, one revoked already) is the caller's error either way.
    private func revocation(
        of keyID: String,
        in workspace: WorkspaceName,
        leaked: Bool,
        reason: String?,
        _ request: Request,
        store: () throws(StoreError) -> [AuditEntry]
    ) throws -> VarlinkReply {
        do throws(StoreError) {
            try requireHealthyStore()
            let entries = try store()
            events.report(entries)
            return .parameters(KeyrotAPI.RevocationResult(entries: entries.map(KeyrotAPI.AuditEntry.init)))
        } catch {
            if case .refused = error { throw error }
            let problem = error.description
            try revocations.hold(
                keyID: keyID,
                of: workspace,
                leaked: leaked,
                reason: reason,
                actor: request.actor,
                at: request.now,
                because: problem
            )
            return .parameters(KeyrotAPI.RevocationResult(entries: [], not_durable: problem))
        }
    }

    func importKey(_ parameters: KeyrotAPI.ImportKeyParameters, _ request: Request) throws -> VarlinkReply {
        try requireAdministrator(request)
        try requireHealthyStore()
        let workspace = try workspaceName(parameters.workspace)
        guard var decoded = Data(base64Encoded: parameters.secret) else {
            throw VarlinkError.invalidParameter("secret")
        }
        let secret = SecretBytes(copying: decoded)
        decoded.resetBytes(in: 0..<decoded.count)
        let masterKey = tokens.masterKey
        let (key, entries) = try store.importKey(
            workspace,
            keyID: parameters.key_id,
            secretLength: secret.count,
            activate: parameters.activate == true,
            providerSecretID: parameters.provider_id,
            at: request.now,
            actor: request.actor
        ) { keyID in
            try masterKey.seal(secret, for: .key(workspace: workspace, keyID: keyID))
        }
        events.report(entries)
        return .parameters(
            KeyrotAPI.ImportKeyResult(
                key: KeyrotAPI.Key(key, at: request.now),
                entries: entries.map(KeyrotAPI.AuditEntry.init)
            )
        )
    }

    func listKeys(_ parameters: KeyrotAPI.WorkspaceParameters, _ request: Request) throws -> VarlinkReply {
        try requireAdministrator(request)
        let ring = try store.keyRing(of: try workspaceName(parameters.workspace))
        return .parameters(KeyrotAPI.KeysResult(keys: ring.keys.reversed().map { KeyrotAPI.Key($0, at: request.now) }))
    }

    /// The reply for a change: its audit rows, which are reported. (The schedule hears of the change from the
    /// store, and wakes the scheduler if its next deadline moved.)
    func changed(_ entries: [AuditEntry]) -> VarlinkReply {
        events.report(entries)
        return .parameters(KeyrotAPI.EntriesResult(entries: entries.map(KeyrotAPI.AuditEntry.init)))
    }
}
