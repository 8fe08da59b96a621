import AsyncHTTPClient
import Foundation
import KeyrotControl
import KeyrotCore
import Logging
import NIOCore
import NIOSSL

/// The provider agent's loop: ask keyrotd for the work due (`ProviderWork`), carry each job out at the provider,
/// report the outcome, and ask again. It keeps no state of its own: a job is done when keyrotd has recorded it, so
/// the agent, or keyrotd, may be killed at any moment and the next round picks up where the database says.
///
/// A creation first lists the provider's secrets and deletes the orphans, secrets named like keyrotd's that no key
/// of keyrotd holds (a creation whose answer was lost, or that either process did not live to record), so a secret
/// is never left behind at the provider. Secrets named otherwise are never deleted.
///
/// - Important: One agent per keyrotd: a second one could take the secret the first has just created, and not yet
///   reported, for an orphan. The unit and `keyrotd --dev`'s child each run one.
public final class ProviderAgent: Sendable {
    /// How the agent reaches keyrotd and its tokens.
    public struct Options: Sendable {
        public var socketPath: String
        public var credentials: ProviderCredentials
        /// The pause between two `ProviderWork` calls when there was nothing to do.
        public var pollInterval: Duration

        public init(socketPath: String, credentials: ProviderCredentials, pollInterval: Duration) {
            self.socketPath = socketPath
            self.credentials = credentials
            self.pollInterval = pollInterval
        }
    }

    /// How often a workspace without work is swept (its secrets listed, orphans deleted) when its settings do not
    /// say (a hook's).
    static let defaultSweepInterval = Duration.seconds(300)

    let options: Options
    let logger: Logger
    let clients: HTTPClients

    public init(options: Options, logger: Logger) {
        self.options = options
        self.logger = logger
        clients = HTTPClients()
    }

    /// Runs until the task is cancelled; a lost connection to keyrotd is retried after 1 s, doubling up to 30 s.
    public func run() async {
        var lastSweep: [String: ContinuousClock.Instant] = [:]
        // Doubles while keyrotd stays unreachable (1 s up to 30 s), so a long outage logs a line a half-minute, not
        // one a second.
        var reconnectDelay = Duration.seconds(1)
        while !Task.isCancelled {
            do {
                try await ControlClient.withConnection(to: options.socketPath) { connection in
                    logger.info("connected to keyrotd", metadata: ["keyrot.socket": "\(options.socketPath)"])
                    reconnectDelay = .seconds(1)
                    while !Task.isCancelled {
                        let work = try await connection.call(
                            "io.keyrotd.ProviderWork",
                            KeyrotAPI.Empty(),
                            returning: KeyrotAPI.ProviderWorkResult.self
                        )
                        var worked = false
                        for workspace in work.workspaces {
                            let interval =
                                workspace.intercom.map { Duration.seconds($0.sweep_every_seconds) }
                                ?? Self.defaultSweepInterval
                            let sweepDue = lastSweep[workspace.workspace].map { .now - $0 >= interval } ?? true
                            guard !workspace.jobs.isEmpty || sweepDue else { continue }
                            worked = try await self.work(on: workspace, connection: &connection) || worked
                            lastSweep[workspace.workspace] = .now
                        }
                        if !worked { try await Task.sleep(for: options.pollInterval) }
                    }
                }
            } catch is CancellationError {
                break
            } catch {
                logger.warning(
                    "keyrotd is not reachable; trying again",
                    metadata: ["keyrot.error": "\(error)", "keyrot.retry_in": "\(reconnectDelay)"]
                )
                try? await Task.sleep(for: reconnectDelay)
                reconnectDelay = min(reconnectDelay * 2, .seconds(30))
            }
        }
        await clients.shutdown()
    }

    /// Carries out the workspace's due jobs, in keyrotd's order, stopping at the first failure (the jobs after it
    /// may depend on it). Returns whether any job was tried.
    private func work(on workspace: KeyrotAPI.ProviderWorkspace, connection: inout ControlClient) async throws -> Bool {
        let provider: any SecretProvider
        do {
            provider = try await makeProvider(for: workspace)
        } catch {
            guard let job = workspace.jobs.first else { return false }
            try await report(error, job: job, workspace: workspace, connection: &connection)
            return true
        }
        if workspace.jobs.isEmpty {
            // Nothing due: a sweep, for orphans whose creation answered too late and for the status's listing. A
            // failure here is retried at the next sweep; it blocks no rotation.
            do { try await sweep(workspace, at: provider, connection: &connection) } catch let error
                as ProviderCallError
            {
                logger.warning(
                    "listing the provider's secrets failed",
                    metadata: ["keyrot.workspace": "\(workspace.workspace)", "keyrot.error": "\(error)"]
                )
            }
            return false
        }
        for job in workspace.jobs {
            do {
                switch job.kind {
                case "create": try await create(job, in: workspace, at: provider, connection: &connection)
                case "delete": try await delete(job, in: workspace, at: provider, connection: &connection)
                default: continue
                }
            } catch let error as ProviderCallError {
                try await report(error, job: job, workspace: workspace, connection: &connection)
                break
            }
        }
        return true
    }

    private func create(
        _ job: KeyrotAPI.ProviderJob,
        in workspace: KeyrotAPI.ProviderWorkspace,
        at provider: any SecretProvider,
        connection: inout ControlClient
    ) async throws {
        try await sweep(workspace, at: provider, connection: &connection)
        let name = job.secret_name ?? "\(workspace.secret_name_prefix)\(job.key_id)"
        let created = try await provider.create(name: name)
        do {
            _ = try await connection.call(
                "io.keyrotd.ProviderCreated",
                KeyrotAPI.ProviderCreatedParameters(
                    workspace: workspace.workspace,
                    key_id: job.key_id,
                    provider_secret_id: created.id,
                    secret: created.secret
                ),
                returning: KeyrotAPI.EntriesResult.self
            )
        } catch let refusal as VarlinkError {
            // keyrotd will never store this secret (the job is gone, or the secret breaks a rule): it must not
            // stay at the provider.
            logger.error(
                "keyrotd refused the new secret; deleting it at the provider",
                metadata: ["keyrot.workspace": "\(workspace.workspace)", "keyrot.error": "\(refusal)"]
            )
            _ = try await provider.delete(id: created.id)
            // Reported as a failure, so that the job waits its backoff rather than making and deleting secrets in a
            // loop.
            throw ProviderCallError.rejected(status: 0, message: "keyrotd refused the new secret: \(refusal)")
        }
        logger.notice(
            "created a secret at the provider",
            metadata: [
                "keyrot.workspace": "\(workspace.workspace)", "keyrot.key_id": "\(job.key_id)",
                "keyrot.provider_secret_id": "\(created.id)",
            ]
        )
    }

    /// Lists the provider's secrets (reported for the status) and deletes the orphans: secrets named like keyrotd's
    /// whose ids keyrotd does not manage (a creation whose answer was lost or came too late, or that either process
    /// did not live to record).
    private func sweep(
        _ workspace: KeyrotAPI.ProviderWorkspace,
        at provider: any SecretProvider,
        connection: inout ControlClient
    ) async throws {
        let listed = try await provider.list()
        try await reportListing(listed, of: workspace, connection: &connection)
        let managed = Set(workspace.managed_ids)
        let orphans = listed.filter {
            ProviderSecretOwnership(
                id: $0.id,
                name: $0.name,
                namePrefix: workspace.secret_name_prefix,
                managedIDs: managed
            )
                == .orphan
        }
        for orphan in orphans {
            _ = try await provider.delete(id: orphan.id)
            logger.warning(
                "deleted a secret created at the provider but never stored",
                metadata: ["keyrot.workspace": "\(workspace.workspace)", "keyrot.provider_secret_id": "\(orphan.id)"]
            )
            _ = try await connection.call(
                "io.keyrotd.ProviderOrphanDeleted",
                KeyrotAPI.ProviderOrphanDeletedParameters(
                    workspace: workspace.workspace,
                    provider_secret_id: orphan.id,
                    name: orphan.name
                ),
                returning: KeyrotAPI.EntriesResult.self
            )
        }
    }

    private func delete(
        _ job: KeyrotAPI.ProviderJob,
        in workspace: KeyrotAPI.ProviderWorkspace,
        at provider: any SecretProvider,
        connection: inout ControlClient
    ) async throws {
        guard let id = job.provider_secret_id else { return }
        let existed = try await provider.delete(id: id)
        _ = try await connection.call(
            "io.keyrotd.ProviderDeleted",
            KeyrotAPI.ProviderDeletedParameters(workspace: workspace.workspace, key_id: job.key_id),
            returning: KeyrotAPI.EntriesResult.self
        )
        logger.notice(
            existed ? "deleted a secret at the provider" : "the provider had deleted the secret already",
            metadata: [
                "keyrot.workspace": "\(workspace.workspace)", "keyrot.key_id": "\(job.key_id)",
                "keyrot.provider_secret_id": "\(id)",
            ]
        )
    }

    private func report(
        _ error: ProviderCallError,
        job: KeyrotAPI.ProviderJob,
        workspace: KeyrotAPI.ProviderWorkspace,
        connection: inout ControlClient
    ) async throws {
        logger.error(
            "a provider call failed",
            metadata: [
                "keyrot.workspace": "\(workspace.workspace)", "keyrot.key_id": "\(job.key_id)",
                "keyrot.error": "\(error)",
            ]
        )
        do {
            _ = try await connection.call(
                "io.keyrotd.ProviderFailed",
                KeyrotAPI.ProviderFailedParameters(
                    workspace: workspace.workspace,
                    kind: job.kind,
                    key_id: job.key_id,
                    failure: error.kind,
                    status: error.status,
                    retry_after_seconds: error.retryAfterSeconds,
                    message: error.description
                ),
                returning: KeyrotAPI.ProviderFailedResult.self
            )
        } catch let refusal as VarlinkError {
            // The job is gone (done meanwhile), or keyrotd cannot store the failure now: the next round sees.
            logger.warning(
                "keyrotd did not record the failure",
                metadata: ["keyrot.workspace": "\(workspace.workspace)", "keyrot.error": "\(refusal)"]
            )
        }
    }

    private func reportListing(
        _ listed: [ListedSecret],
        of workspace: KeyrotAPI.ProviderWorkspace,
        connection: inout ControlClient
    ) async throws {
        _ = try await connection.call(
            "io.keyrotd.ProviderListed",
            KeyrotAPI.ProviderListedParameters(
                workspace: workspace.workspace,
                secrets: listed.prefix(1000).map {
                    KeyrotAPI.ProviderSecret(id: $0.id, name: $0.name, created_at: $0.createdAt)
                }
            ),
            returning: KeyrotAPI.Empty.self
        )
    }

    /// The provider client for a workspace, with its token read now.
    private func makeProvider(
        for workspace: KeyrotAPI.ProviderWorkspace
    ) async throws(ProviderCallError)
        -> any SecretProvider
    {
        if let hook = workspace.hook {
            return HookProvider(executable: hook, workspace: workspace.workspace, logger: logger)
        }
        guard let settings = workspace.intercom else {
            throw .rejected(status: 0, message: "keyrotd sent no settings for provider \(workspace.provider)")
        }
        let token = try options.credentials.token(named: settings.token_credential)
        let http = try await clients.client(caFile: settings.ca_file)
        return IntercomClient(
            http: http,
            apiBase: settings.api_base,
            token: token,
            platforms: settings.platforms,
            timeout: .seconds(Int64(settings.timeout_seconds))
        )
    }
}
