import KeyrotControl
import KeyrotCore

extension KeyrotAPI.Key {
    init(_ key: KeyRecord, at now: Timestamp) {
        self.init(
            key_id: key.keyID,
            algorithm: key.algorithm.rawValue,
            state: key.state.rawValue,
            leaked: key.leaked,
            created_at: key.createdAt.iso8601,
            activated_at: key.activatedAt?.iso8601,
            grace_until: key.graceUntil?.iso8601,
            verifies: key.verifies(at: now),
            provider_id: key.providerSecretID
        )
    }
}

extension KeyrotAPI.AuditEntry {
    init(_ entry: AuditEntry) {
        self.init(
            seq: entry.seq,
            at: entry.at.iso8601,
            workspace: entry.workspace?.rawValue,
            event: entry.event.rawValue,
            key_id: entry.keyID,
            previous_key_id: entry.previousKeyID,
            reason: entry.reason,
            detail: entry.detail,
            actor_uid: entry.actor.uid,
            actor_pid: entry.actor.pid,
            chain_hash: entry.chainHash
        )
    }
}

extension KeyrotAPI.Workspace {
    init(name: WorkspaceName, policy: WorkspacePolicy, ring: KeyRing, at now: Timestamp) {
        let active = ring.signingKey
        self.init(
            name: name.rawValue,
            algorithm: policy.algorithm.rawValue,
            rotate_every: "\(policy.rotateEvery)",
            grace: "\(policy.grace)",
            token_ttl: "\(policy.tokenTTL)",
            max_token_ttl: "\(policy.maxTokenTTL)",
            require_kid: policy.requireKeyID,
            clock_skew: "\(policy.clockSkew)",
            signers: policy.signers.map(\.description),
            active_key_id: active?.keyID,
            next_rotation_at: KeyLifecycle.rotationDue(of: active, policy: policy, now: now).iso8601,
            provider: policy.provider?.description
        )
    }
}

extension WorkspacePolicy {
    /// This policy with the settings `change` names replaced.
    ///
    /// - Throws: ``KeyrotCore/KeyrotError`` naming the first setting that is not valid.
    func applying(_ change: KeyrotAPI.PolicyChange) throws(KeyrotError) -> WorkspacePolicy {
        func span(_ text: String?, _ current: TimeSpan) throws(KeyrotError) -> TimeSpan {
            guard let text else { return current }
            return try TimeSpan(parsing: text)
        }
        var algorithm = self.algorithm
        if let name = change.algorithm {
            guard let parsed = SigningAlgorithm(rawValue: name) else {
                throw .invalidPolicy("algorithm \"\(name)\" is not HS256, HS384 or HS512")
            }
            algorithm = parsed
        }
        var signers = self.signers
        if let entries = change.signers {
            signers = []
            for entry in entries { signers.append(try Principal(entry)) }
        }
        let tokenTTL = try span(change.token_ttl, self.tokenTTL)
        return try WorkspacePolicy(
            algorithm: algorithm,
            rotateEvery: span(change.rotate_every, rotateEvery),
            grace: span(change.grace, grace),
            tokenTTL: tokenTTL,
            maxTokenTTL: span(change.max_token_ttl, change.token_ttl == nil ? maxTokenTTL : max(maxTokenTTL, tokenTTL)),
            requireKeyID: change.require_kid ?? requireKeyID,
            clockSkew: span(change.clock_skew, clockSkew),
            signers: signers,
            // A change made over the socket never moves a workspace to or from its provider: only the
            // configuration does, with the provider's settings beside it.
            provider: provider
        )
    }
}
