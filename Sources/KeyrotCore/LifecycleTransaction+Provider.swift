/// The rules of a workspace whose verifier makes its secrets (DESIGN §3, provider jobs): a rotation asks the
/// provider for a secret and the secret becomes the active key only once it is stored; a key that stops verifying
/// has its secret deleted there too. Each step is a job in the store, so a crash of keyrotd or of its provider
/// agent resumes where it stopped.
extension LifecycleTransaction {
    /// Asks the provider for the workspace's next key, or returns the request already under way (made urgent if
    /// `urgent`). Records `provider_secret_requested` unless the caller records the rotation itself.
    @discardableResult
    mutating func requestProviderSecret(urgent: Bool, reason: String?, audited: Bool = true) -> String {
        if var job = state.pendingCreation {
            if urgent, !job.urgent {
                job.urgent = true
                job.notBefore = min(job.notBefore, now)
                updateProviderJob(job)
            }
            return job.keyID
        }
        let keyID = nextFreeKeyID().keyID
        addProviderJob(ProviderJob(kind: .create, keyID: keyID, urgent: urgent, notBefore: now, createdAt: now))
        if audited {
            record(
                AuditRecord(
                    .providerSecretRequested,
                    keyID: keyID,
                    previousKeyID: state.activeKey?.keyID,
                    reason: reason,
                    detail: "from \(state.policy.provider.map(String.init(describing:)) ?? "the provider")"
                )
            )
        }
        return keyID
    }

    /// Asks the provider to delete `key`'s secret, if the provider has one (a key keyrotd generated, or imported
    /// without binding it, is unknown there).
    mutating func deleteAtProvider(_ key: KeyRecord, urgent: Bool) {
        guard let providerSecretID = key.providerSecretID else { return }
        if var job = state.providerJob(.delete, keyID: key.keyID) {
            guard urgent, !job.urgent else { return }
            job.urgent = true
            job.notBefore = min(job.notBefore, now)
            updateProviderJob(job)
            return
        }
        addProviderJob(
            ProviderJob(
                kind: .delete,
                keyID: key.keyID,
                providerSecretID: providerSecretID,
                urgent: urgent,
                notBefore: now,
                createdAt: now
            )
        )
    }

    /// The provider made the secret of creation job `keyID`: it becomes the active key (`provider_secret_created`),
    /// and the key it replaces goes to grace (`rotated`).
    mutating func providerCreated(keyID: String, providerSecretID: String, secretLength: Int) throws(KeyrotError) {
        guard state.providerJob(.create, keyID: keyID) != nil else {
            throw .providerJobNotFound(workspace: state.name.rawValue, kind: "create", keyID: keyID)
        }
        guard KeyLifecycle.isValidKeyID(providerSecretID) else { throw .invalidProviderSecretID(providerSecretID) }
        let algorithm = state.policy.algorithm
        guard secretLength >= algorithm.secretLength else {
            throw .secretTooShort(minimum: algorithm.secretLength, actual: secretLength)
        }
        let previous = state.activeKey
        if let previous { demoteToGrace(previous) }
        removeProviderJob(.create, keyID: keyID)
        _ = insertKey(.active, material: .imported, keyID: keyID, providerSecretID: providerSecretID)
        record(
            AuditRecord(
                .providerSecretCreated,
                keyID: keyID,
                reason: nil,
                detail: "\(providerName) id \(providerSecretID), \(secretLength) bytes"
            )
        )
        if let previous {
            record(AuditRecord(.rotated, keyID: keyID, previousKeyID: previous.keyID, reason: nil))
        }
    }

    /// The provider no longer has key `keyID`'s secret: its deletion job is done (`provider_secret_deleted`).
    mutating func providerDeleted(keyID: String) throws(KeyrotError) {
        guard let job = state.providerJob(.delete, keyID: keyID) else {
            throw .providerJobNotFound(workspace: state.name.rawValue, kind: "delete", keyID: keyID)
        }
        removeProviderJob(.delete, keyID: keyID)
        record(
            AuditRecord(
                .providerSecretDeleted,
                keyID: keyID,
                reason: nil,
                detail: "\(providerName) id \(job.providerSecretID ?? "?")"
            )
        )
    }

    /// A secret keyrotd created but never stored was deleted at the provider (`provider_orphan_deleted`).
    mutating func providerOrphanDeleted(providerSecretID: String, name: String) throws(KeyrotError) {
        guard state.policy.provider != nil else { throw .noProvider(workspace: state.name.rawValue) }
        guard KeyLifecycle.isValidKeyID(providerSecretID) else { throw .invalidProviderSecretID(providerSecretID) }
        record(
            AuditRecord(
                .providerOrphanDeleted,
                keyID: nil,
                reason: nil,
                detail: "\(providerName) id \(providerSecretID), named \"\(name)\""
            )
        )
    }

    /// An attempt at a job failed: it is tried again after ``ProviderRetry``'s delay, or, refused credentials, not
    /// before the next reload. Not audited: no key changed (the journal has the failure).
    mutating func providerFailed(
        kind: ProviderJob.Kind,
        keyID: String,
        failure: ProviderFailure,
        jitter: Double
    ) throws(KeyrotError) {
        guard let job = state.providerJob(kind, keyID: keyID) else {
            throw .providerJobNotFound(workspace: state.name.rawValue, kind: kind.rawValue, keyID: keyID)
        }
        updateProviderJob(ProviderRetry.failed(job, failure, at: now, jitter: jitter))
    }

    /// A reload or a restart: jobs blocked by refused credentials are tried again now (the token may be new).
    mutating func unblockProviderJobs() {
        for var job in state.providerJobs where job.blocked {
            job.blocked = false
            job.notBefore = now
            updateProviderJob(job)
        }
    }

    private var providerName: String {
        state.policy.provider.map(String.init(describing:)) ?? "provider"
    }
}
