import Foundation
import KeyrotControl
import KeyrotCore
import KeyrotCrypto
import KeyrotStore

/// The provider agent's calls: its work, and its reports of what the provider did, each carried out as a lifecycle
/// request (the core decides what a report changes). Only the agent (`[access] providers`) may make them.
extension ControlService {
    /// Fails unless the peer is the provider agent.
    func requireProvider(_ request: Request) throws(VarlinkError) {
        let peer = request.peer
        guard access.isProvider(uid: peer.uid, groupIDs: peer.groupIDs) else {
            denials.warning("control call denied", peer: peer, metadata: ["keyrot.method": "\(request.method)"])
            throw .permissionDenied(method: request.method, uid: peer.uid)
        }
    }

    func providerWork(_ request: Request) throws -> VarlinkReply {
        try requireProvider(request)
        let workspaces = providers.work(at: request.now, configuration: settings.configuration)
        return .parameters(KeyrotAPI.ProviderWorkResult(workspaces: workspaces))
    }

    func providerCreated(_ parameters: KeyrotAPI.ProviderCreatedParameters, _ request: Request) throws -> VarlinkReply {
        try requireProvider(request)
        try requireHealthyStore()
        let workspace = try providerWorkspace(parameters.workspace)
        // Intercom's samples hand the secret string itself to HMAC: its bytes are the key.
        let secret = SecretBytes(copying: Array(parameters.secret.utf8))
        let masterKey = tokens.masterKey
        let outcome = try store.perform(
            .providerCreated(
                keyID: parameters.key_id,
                providerSecretID: parameters.provider_secret_id,
                secretLength: secret.count
            ),
            on: workspace,
            at: request.now,
            actor: request.actor
        ) { keyID in
            try masterKey.seal(secret, for: .key(workspace: workspace, keyID: keyID))
        }
        return changed(outcome.entries)
    }

    func providerDeleted(_ parameters: KeyrotAPI.ProviderDeletedParameters, _ request: Request) throws -> VarlinkReply {
        try requireProvider(request)
        try requireHealthyStore()
        let workspace = try providerWorkspace(parameters.workspace)
        let outcome = try store.perform(
            .providerDeleted(keyID: parameters.key_id),
            on: workspace,
            at: request.now,
            actor: request.actor
        )
        return changed(outcome.entries)
    }

    func providerOrphanDeleted(
        _ parameters: KeyrotAPI.ProviderOrphanDeletedParameters,
        _ request: Request
    ) throws -> VarlinkReply {
        try requireProvider(request)
        try requireHealthyStore()
        let workspace = try providerWorkspace(parameters.workspace)
        guard parameters.name.utf8.count <= 256, !parameters.name.contains("\0") else {
            throw VarlinkError.invalidParameter("name")
        }
        let outcome = try store.perform(
            .providerOrphanDeleted(providerSecretID: parameters.provider_secret_id, name: parameters.name),
            on: workspace,
            at: request.now,
            actor: request.actor
        )
        return changed(outcome.entries)
    }

    func providerFailed(_ parameters: KeyrotAPI.ProviderFailedParameters, _ request: Request) throws -> VarlinkReply {
        try requireProvider(request)
        try requireHealthyStore()
        let workspace = try providerWorkspace(parameters.workspace)
        guard let kind = ProviderJob.Kind(rawValue: parameters.kind) else {
            throw VarlinkError.invalidParameter("kind")
        }
        // The agent's words reach the journal and the status line: short, one line, no NUL.
        let message = String(parameters.message.prefix(200)).map { $0.isNewline || $0 == "\0" ? " " : $0 }
        let text = String(message)
        let failure: ProviderFailure
        switch parameters.failure {
        case "unauthorized": failure = .unauthorized(status: parameters.status ?? 401, message: text)
        case "transient":
            let retryAfter = parameters.retry_after_seconds.map { TimeSpan.seconds(Int64(max(0, min($0, 86_400)))) }
            failure = .transient(text, retryAfter: retryAfter)
        case "rejected": failure = .rejected(status: parameters.status ?? 0, message: text)
        default: throw VarlinkError.invalidParameter("failure")
        }
        let outcome = try store.perform(
            .providerFailed(kind: kind, keyID: parameters.key_id, failure: failure, jitter: Double.random(in: 0..<1)),
            on: workspace,
            at: request.now,
            actor: request.actor
        )
        guard let job = outcome.decision.result.providerJob(kind, keyID: parameters.key_id) else {
            preconditionFailure("a failed provider job that the lifecycle dropped")
        }
        let provider = outcome.decision.result.policy.provider.map(String.init(describing:)) ?? "provider"
        let retry =
            job.blocked
            ? "not retried until the configuration is reloaded" : "next try at \(job.notBefore.iso8601)"
        events.report(
            DaemonEvent(
                .providerCallFailed,
                "\(provider) could not \(kind.rawValue) the secret of key \(parameters.key_id) of workspace "
                    + "\(workspace) (attempt \(job.attempts)): \(failure); \(retry)",
                workspace: workspace,
                keyID: parameters.key_id,
                reason: "\(failure)",
                actor: request.actor
            )
        )
        return .parameters(KeyrotAPI.ProviderFailedResult(next_attempt_at: job.notBefore.iso8601, blocked: job.blocked))
    }

    func providerListed(_ parameters: KeyrotAPI.ProviderListedParameters, _ request: Request) throws -> VarlinkReply {
        try requireProvider(request)
        let workspace = try providerWorkspace(parameters.workspace)
        providers.recordListing(parameters.secrets, of: workspace, at: request.now)
        return .parameters(KeyrotAPI.Empty())
    }

    func providerStatus(_ parameters: KeyrotAPI.ProviderStatusParameters, _ request: Request) throws -> VarlinkReply {
        try requireAdministrator(request)
        let workspace = try parameters.workspace.map { text throws(VarlinkError) in try providerWorkspace(text) }
        let workspaces = providers.status(of: workspace, at: request.now)
        return .parameters(KeyrotAPI.ProviderStatusResult(workspaces: workspaces))
    }

    /// The workspace named `text`, which must have a provider.
    private func providerWorkspace(_ text: String) throws(VarlinkError) -> WorkspaceName {
        let workspace = try workspaceName(text)
        guard providers.hasProvider(workspace) else {
            throw VarlinkError("io.keyrotd.WorkspaceNotFound", ["workspace": .string(text)])
        }
        return workspace
    }
}
