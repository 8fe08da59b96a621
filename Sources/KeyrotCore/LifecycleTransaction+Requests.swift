/// The rules of each request (DESIGN §3): which moves it makes, which audit rows it writes, when it refuses.
extension LifecycleTransaction {
    /// A new workspace: its row, its first active key, `workspace_created`. A provider's workspace gets its first
    /// key from the provider: until then it has none, and cannot sign.
    mutating func createWorkspace(reason: String?) {
        recordWorkspaceCreation()
        guard state.policy.provider == nil else {
            record(AuditRecord(.workspaceCreated, keyID: nil, reason: reason, detail: state.policy.description))
            requestProviderSecret(urgent: true, reason: "first key")
            return
        }
        let keyID = insertKey(.active, material: .generated)
        record(AuditRecord(.workspaceCreated, keyID: keyID, reason: reason, detail: state.policy.description))
    }

    /// A new policy, audited with the settings that changed; nothing if none did. A new algorithm needs a key of
    /// its own: the workspace rotates to a fresh one at once (the old key keeps verifying, with its own algorithm,
    /// through its grace window).
    ///
    /// A workspace that leaves its provider (for none, or another) drops the provider's jobs: the old provider is
    /// no longer called. The secrets they would have deleted there are named in the audit row, for an operator to
    /// delete by hand; a workspace left without a key gets one at once.
    mutating func changePolicy(to policy: WorkspacePolicy, reason: String?) {
        let old = state.policy
        guard policy != old else { return }
        setPolicy(policy)
        var detail = old.changes(to: policy)
        if let oldProvider = old.provider, policy.provider != oldProvider {
            let leftBehind = state.providerJobs.compactMap(\.providerSecretID)
            for job in state.providerJobs { removeProviderJob(job.kind, keyID: job.keyID) }
            if !leftBehind.isEmpty {
                detail += "; left at \(oldProvider), to delete there by hand: ids \(leftBehind.joined(separator: ", "))"
            }
        }
        record(AuditRecord(.workspaceUpdated, keyID: nil, reason: reason, detail: detail))
        if policy.provider == nil, old.provider != nil, state.activeKey == nil {
            replaceActiveKey(revokingIt: false, successor: .fresh, reason: "provider removed")
        } else if policy.algorithm != old.algorithm {
            replaceActiveKey(
                revokingIt: false,
                successor: .fresh,
                reason: "algorithm changed to \(policy.algorithm.rawValue)"
            )
        } else if let provider = policy.provider, provider != old.provider,
            old.provider != nil || state.activeKey?.providerSecretID == nil
        {
            // The verifier knows only secrets its provider made (or that an import bound to it).
            requestProviderSecret(urgent: state.activeKey == nil, reason: "provider is now \(provider)")
        }
    }

    /// A rotation. Scheduled: only once the active key is due (so a catch-up after downtime rotates once, and a
    /// repeated call does nothing). Manual: now. Both promote the oldest pending key of the workspace's algorithm
    /// if there is one. Emergency: now, revoking the old key, with a fresh key (a pending key may be as exposed as
    /// the one that leaked).
    mutating func rotate(_ mode: RotationMode, reason: String?) {
        switch mode {
        case .scheduled:
            guard state.rotationDue(now: now) <= now else { return }
            replaceActiveKey(revokingIt: false, successor: .oldestPending, reason: reason)
        case .manual:
            // At a provider, a rotation under way is the rotation asked for.
            guard state.pendingCreation == nil else { return }
            replaceActiveKey(revokingIt: false, successor: .oldestPending, reason: reason)
        case .emergency:
            replaceActiveKey(revokingIt: true, successor: .fresh, reason: reason)
        }
    }

    /// A revocation or a leak flag: the key never verifies again (`revoked` or `leak_flagged`); if it was the active
    /// key, a fresh one replaces it (`emergency_rotated`). Flagging a revoked key marks it leaked; flagging a leaked
    /// one again does nothing.
    mutating func withdraw(_ keyID: String, leaked: Bool, reason: String?) throws(KeyrotError) {
        guard let key = state.key(withID: keyID) else {
            throw .keyNotFound(workspace: state.name.rawValue, keyID: keyID)
        }
        if key.state == .revoked && leaked {
            guard !key.leaked else { return }
            markLeaked(keyID)
        } else {
            guard key.state.canTransition(to: .revoked) else {
                throw .keyNotRevocable(keyID: keyID, state: key.state)
            }
            revoke(keyID, leaked: leaked)
            deleteAtProvider(key, urgent: true)
        }
        record(AuditRecord(leaked ? .leakFlagged : .revoked, keyID: keyID, reason: reason))
        if key.state == .active {
            if state.policy.provider != nil {
                let successor = requestProviderSecret(urgent: true, reason: reason, audited: false)
                record(
                    AuditRecord(
                        .emergencyRotated,
                        keyID: successor,
                        previousKeyID: keyID,
                        reason: reason,
                        detail: "new secret requested from \(state.policy.provider!)"
                    )
                )
            } else {
                let successor = insertKey(.active, material: .generated)
                record(AuditRecord(.emergencyRotated, keyID: successor, previousKeyID: keyID, reason: reason))
            }
        }
    }

    /// An imported secret: a pending key of the workspace's algorithm (`key_imported`), made active at once if asked
    /// (`rotated`, the old key to grace).
    mutating func importKey(_ imported: ImportedKey) throws(KeyrotError) {
        let algorithm = state.policy.algorithm
        guard imported.secretLength >= algorithm.secretLength else {
            throw .secretTooShort(minimum: algorithm.secretLength, actual: imported.secretLength)
        }
        if let requested = imported.keyID {
            guard KeyLifecycle.isValidKeyID(requested) else { throw .invalidKeyID(requested) }
            guard !isTaken(requested) else { throw .keyIDTaken(requested) }
        }
        if let providerSecretID = imported.providerSecretID {
            guard state.policy.provider != nil else { throw .noProvider(workspace: state.name.rawValue) }
            guard KeyLifecycle.isValidKeyID(providerSecretID) else {
                throw .invalidProviderSecretID(providerSecretID)
            }
        }
        let keyID = insertKey(
            .pending,
            material: .imported,
            keyID: imported.keyID,
            providerSecretID: imported.providerSecretID
        )
        let binding = imported.providerSecretID.map { ", \(state.policy.provider!) id \($0)" } ?? ""
        record(
            AuditRecord(
                .keyImported,
                keyID: keyID,
                reason: nil,
                detail: "\(algorithm.rawValue), \(imported.secretLength) bytes\(binding)"
            )
        )
        if imported.activate {
            replaceActiveKey(revokingIt: false, successor: .pending(keyID), reason: "imported key activated")
        }
    }

    /// A pending key made active now (`rotated`, the old key to grace). Only a pending key of the workspace's
    /// algorithm can sign for it.
    mutating func activate(_ keyID: String, reason: String?) throws(KeyrotError) {
        guard let key = state.key(withID: keyID) else {
            throw .keyNotFound(workspace: state.name.rawValue, keyID: keyID)
        }
        guard key.state == .pending else {
            throw .keyNotActivatable(keyID: keyID, why: "it is \(key.state.rawValue), not pending")
        }
        guard key.algorithm == state.policy.algorithm else {
            throw .keyNotActivatable(
                keyID: keyID,
                why:
                    "it is an \(key.algorithm.rawValue) key and the workspace signs with \(state.policy.algorithm.rawValue)"
            )
        }
        replaceActiveKey(revokingIt: false, successor: .pending(keyID), reason: reason)
    }

    /// A grace key whose window has closed is retired (`grace_expired`); any other key is left alone, so a sweep
    /// that comes late, or twice, does no harm.
    mutating func retireExpiredGrace(_ keyID: String) {
        guard let key = state.key(withID: keyID), key.state == .grace, let end = key.graceUntil, end <= now else {
            return
        }
        retire(keyID)
        deleteAtProvider(key, urgent: false)
        record(AuditRecord(.graceExpired, keyID: keyID, reason: nil, detail: "grace ended \(end.iso8601)"))
    }

    /// Which key becomes active when the active key is replaced.
    enum Successor {
        /// A freshly generated key.
        case fresh
        /// The oldest pending key of the workspace's algorithm, else a fresh one. In a provider's workspace only a
        /// key bound to a secret there qualifies: the provider would refuse the tokens of any other.
        case oldestPending
        /// This pending key.
        case pending(String)
    }

    /// Replaces the active key, if any (to grace, or revoked), with `successor`, and records `rotated` or
    /// `emergency_rotated`. In a provider's workspace a fresh key is asked of the provider instead: the active key
    /// keeps signing until the new secret is stored (``providerCreated(keyID:providerSecretID:secretLength:)``),
    /// unless it is revoked, which happens now.
    private mutating func replaceActiveKey(revokingIt: Bool, successor: Successor, reason: String?) {
        let previous = state.activeKey
        let pendingKeyID = pendingSuccessor(successor)
        if let provider = state.policy.provider, pendingKeyID == nil {
            if let previous, revokingIt {
                revoke(previous.keyID, leaked: false)
                deleteAtProvider(previous, urgent: true)
            }
            let keyID = requestProviderSecret(
                urgent: revokingIt || previous == nil,
                reason: reason,
                audited: !revokingIt
            )
            if revokingIt {
                record(
                    AuditRecord(
                        .emergencyRotated,
                        keyID: keyID,
                        previousKeyID: previous?.keyID,
                        reason: reason,
                        detail: "new secret requested from \(provider)"
                    )
                )
            }
            return
        }
        if let previous {
            if revokingIt {
                revoke(previous.keyID, leaked: false)
                deleteAtProvider(previous, urgent: true)
            } else {
                demoteToGrace(previous)
            }
        }
        let keyID: String
        if let pendingKeyID {
            activate(pending: pendingKeyID)
            keyID = pendingKeyID
        } else {
            keyID = insertKey(.active, material: .generated)
        }
        record(
            AuditRecord(
                revokingIt ? .emergencyRotated : .rotated,
                keyID: keyID,
                previousKeyID: previous?.keyID,
                reason: reason
            )
        )
    }

    /// The pending key `successor` names, if any.
    private func pendingSuccessor(_ successor: Successor) -> String? {
        switch successor {
        case .fresh: nil
        case .pending(let keyID): keyID
        case .oldestPending:
            state.keys.first { key in
                key.state == .pending && key.algorithm == state.policy.algorithm
                    && (state.policy.provider == nil || key.providerSecretID != nil)
            }?.keyID
        }
    }
}
