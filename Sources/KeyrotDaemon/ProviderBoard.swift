import KeyrotControl
import KeyrotCore
import NIOConcurrencyHelpers

/// The provider work of every provider's workspace, kept in memory from the store's commits, so the agent's
/// frequent `ProviderWork` calls are answered without the database; and what the agent last listed at each
/// provider, for `ProviderStatus`.
///
/// It also speaks up: the status line names what is wrong (a leaked secret the provider still accepts, a rotation
/// blocked), and a revoked key whose secret the provider still has is a critical journal event when it appears.
public final class ProviderBoard: Sendable {
    /// The agent's last listing of one workspace's secrets.
    struct Listing: Sendable {
        var secrets: [KeyrotAPI.ProviderSecret]
        var at: Timestamp
    }

    /// Everything the board holds, under one lock.
    private struct State: Sendable {
        var workspaces: [WorkspaceName: WorkspaceState] = [:]
        var listings: [WorkspaceName: Listing] = [:]
        var agentSeenAt: Timestamp?
    }

    private let state = NIOLockedValueBox(State())
    private let events: EventReporter
    private let status: ServiceStatus
    private let clock: any WallClock

    init(workspaces: [WorkspaceState], events: EventReporter, status: ServiceStatus, clock: any WallClock) {
        self.events = events
        self.status = status
        self.clock = clock
        for workspace in workspaces { update(workspace) }
    }

    /// Takes a workspace's state after a commit (a workspace without a provider leaves the board).
    func update(_ workspace: WorkspaceState) {
        let previous = state.withLockedValue { state in
            let previous = state.workspaces[workspace.name]
            if workspace.policy.provider == nil {
                state.workspaces[workspace.name] = nil
                state.listings[workspace.name] = nil
            } else {
                state.workspaces[workspace.name] = workspace
            }
            return previous
        }
        let before = Set(previous?.revokedKeysStillAccepted ?? [])
        for keyID in workspace.revokedKeysStillAccepted where !before.contains(keyID) {
            events.report(
                DaemonEvent(
                    .leakedSecretStillAccepted,
                    "key \(keyID) of workspace \(workspace.name) is revoked, but \(workspace.policy.provider!) still "
                        + "accepts its secret until keyrotd-provider deletes it there",
                    workspace: workspace.name,
                    keyID: keyID,
                    reason: "its deletion at the provider is pending"
                )
            )
        }
        refreshStatus()
    }

    /// Every provider's workspace with the jobs due at `now`; notes that the agent asked. The status line is
    /// brought up to date too: its "retry in 2min" counts down between commits (sent only when it changes).
    func work(at now: Timestamp, configuration: DaemonConfiguration) -> [KeyrotAPI.ProviderWorkspace] {
        let workspaces = state.withLockedValue { state in
            state.agentSeenAt = now
            return state.workspaces.values.sorted { $0.name < $1.name }
        }
        refreshStatus()
        return workspaces.map { workspace in
            KeyrotAPI.ProviderWorkspace(
                workspace,
                jobs: workspace.dueProviderJobs(at: now),
                intercom: configuration.intercom[workspace.name]
            )
        }
    }

    /// Keeps what the agent listed at the provider.
    func recordListing(_ secrets: [KeyrotAPI.ProviderSecret], of workspace: WorkspaceName, at now: Timestamp) {
        state.withLockedValue { state in
            guard state.workspaces[workspace] != nil else { return }
            state.listings[workspace] = Listing(secrets: Array(secrets.prefix(1000)), at: now)
        }
    }

    /// Whether `workspace` has a provider.
    func hasProvider(_ workspace: WorkspaceName) -> Bool {
        state.withLockedValue { $0.workspaces[workspace] != nil }
    }

    /// The provider work of `workspace`, or of every provider's workspace.
    func status(of workspace: WorkspaceName?, at now: Timestamp) -> [KeyrotAPI.ProviderWorkspaceStatus] {
        let (workspaces, listings, seen) = state.withLockedValue { state in
            (state.workspaces.values.sorted { $0.name < $1.name }, state.listings, state.agentSeenAt)
        }
        return workspaces.filter { workspace == nil || $0.name == workspace }.map { state in
            let listing = listings[state.name]
            let prefix = ProviderKind.secretNamePrefix(workspace: state.name)
            let managed = Set(state.managedProviderSecretIDs)
            return KeyrotAPI.ProviderWorkspaceStatus(
                workspace: state.name.rawValue,
                provider: state.policy.provider!.description,
                jobs: state.providerJobs.sorted(by: ProviderJob.workOrder).map { KeyrotAPI.ProviderJob($0, in: state) },
                unmanaged: (listing?.secrets ?? []).filter {
                    ProviderSecretOwnership(id: $0.id, name: $0.name, namePrefix: prefix, managedIDs: managed)
                        == .someoneElses
                },
                listed_at: listing?.at.iso8601,
                agent_seen_at: seen?.iso8601,
                problem: state.providerProblem(at: now)
            )
        }
    }

    private func refreshStatus() {
        let now = clock.now()
        let problems = state.withLockedValue { state in
            state.workspaces.values.sorted { $0.name < $1.name }.compactMap { $0.providerProblem(at: now) }
        }
        status.providerProblems(problems.isEmpty ? nil : problems.joined(separator: "; "))
    }
}

extension KeyrotAPI.ProviderJob {
    init(_ job: KeyrotCore.ProviderJob, in workspace: WorkspaceState) {
        self.init(
            kind: job.kind.rawValue,
            key_id: job.keyID,
            provider_secret_id: job.providerSecretID,
            secret_name: job.kind == .create
                ? ProviderKind.secretName(workspace: workspace.name, keyID: job.keyID) : nil,
            urgent: job.urgent,
            attempts: job.attempts,
            next_attempt_at: job.notBefore.iso8601,
            last_error: job.lastError,
            blocked: job.blocked
        )
    }
}

extension KeyrotAPI.ProviderWorkspace {
    init(_ workspace: WorkspaceState, jobs: [KeyrotCore.ProviderJob], intercom: KeyrotCore.IntercomSettings?) {
        var hook: String?
        if case .hook(let path) = workspace.policy.provider { hook = path }
        self.init(
            workspace: workspace.name.rawValue,
            provider: workspace.policy.provider?.description ?? "none",
            intercom: intercom.map {
                KeyrotAPI.IntercomSettings(
                    api_base: $0.apiBase,
                    token_credential: $0.tokenCredential,
                    platforms: $0.platforms,
                    ca_file: $0.caFile,
                    timeout_seconds: Int($0.timeout.seconds),
                    sweep_every_seconds: Int($0.sweepEvery.seconds)
                )
            },
            hook: hook,
            secret_name_prefix: ProviderKind.secretNamePrefix(workspace: workspace.name),
            managed_ids: workspace.managedProviderSecretIDs,
            jobs: jobs.map { KeyrotAPI.ProviderJob($0, in: workspace) }
        )
    }
}
