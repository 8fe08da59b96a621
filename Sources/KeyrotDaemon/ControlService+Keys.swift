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
        try requireHealthyStore()
        let workspace = try workspaceName(parameters.workspace)
        let entries = try store.flagLeak(
            workspace,
            keyID: parameters.key_id,
            reason: parameters.reason,
            at: request.now,
            actor: request.actor
        )
        return changed(entries)
    }

    func revoke(_ parameters: KeyrotAPI.RevokeParameters, _ request: Request) throws -> VarlinkReply {
        try requireAdministrator(request)
        try requireHealthyStore()
        let workspace = try workspaceName(parameters.workspace)
        let entries = try store.revoke(
            workspace,
            keyID: parameters.key_id,
            reason: parameters.reason,
            at: request.now,
            actor: request.actor
        )
        return changed(entries)
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
