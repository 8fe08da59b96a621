/// What a provider's workspace asks of its provider agent, and what an operator must hear about it.
extension WorkspaceState {
    /// The provider ids of the secrets keyrotd manages: those of keys that may still verify, and those still to be
    /// deleted. A secret named like keyrotd's (``ProviderKind/secretNamePrefix(workspace:)``) whose id is not here
    /// is an orphan.
    public var managedProviderSecretIDs: [String] {
        let live = keys.filter { $0.state.keepsMaterial }.compactMap(\.providerSecretID)
        let deleting = providerJobs.filter { $0.kind == .delete }.compactMap(\.providerSecretID)
        return Array(Set(live + deleting)).sorted()
    }

    /// The jobs the agent should carry out at `now`, most urgent first.
    public func dueProviderJobs(at now: Timestamp) -> [ProviderJob] {
        providerJobs.filter { $0.isDue(at: now) }.sorted(by: ProviderJob.workOrder)
    }

    /// The revoked keys whose secrets the provider still accepts (their deletion is pending).
    public var revokedKeysStillAccepted: [String] {
        providerJobs.filter { job in
            job.kind == .delete && key(withID: job.keyID)?.state == .revoked
        }.map(\.keyID).sorted()
    }

    /// What is wrong with the workspace's provider work, for the status line; nil when nothing is.
    /// `acme: intercom still accepts revoked key acme.3; acme: rotation blocked: intercom 503, retry in 2min`.
    public func providerProblem(at now: Timestamp) -> String? {
        guard let provider = policy.provider else { return nil }
        var problems = revokedKeysStillAccepted.map { "\(name): \(provider) still accepts revoked key \($0)" }
        for job in providerJobs.sorted(by: ProviderJob.workOrder) where job.attempts > 0 {
            let retry =
                job.blocked
                ? "not retried until a reload"
                : job.notBefore <= now ? "retrying now" : "retry in \((job.notBefore - now).description(units: 1))"
            let what = job.kind == .create ? "rotation blocked" : "deleting \(job.keyID) there failing"
            problems.append("\(name): \(what): \(job.lastError ?? "\(provider) failed"), \(retry)")
        }
        return problems.isEmpty ? nil : problems.joined(separator: "; ")
    }
}
