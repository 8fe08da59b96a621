import GRDB
import KeyrotCore

extension KeyRecord {
    /// The columns ``init(row:)`` reads, from `keys AS k JOIN workspaces AS w`.
    static let selection = """
        w.name AS workspace, k.key_id, k.algorithm, k.state, k.leaked, k.created_at, k.activated_at, k.grace_until,
        k.tokens_valid_until, k.provider_secret_id
        """

    init(row: Row) throws {
        guard let state = KeyState(rawValue: row["state"]), let algorithm = SigningAlgorithm(rawValue: row["algorithm"])
        else { throw DatabaseError(message: "unknown key state or algorithm in keys") }
        self.init(
            workspace: try WorkspaceName(row["workspace"]),
            keyID: row["key_id"],
            algorithm: algorithm,
            state: state,
            leaked: row["leaked"],
            createdAt: Timestamp(secondsSinceEpoch: row["created_at"]),
            activatedAt: (row["activated_at"] as Int64?).map(Timestamp.init(secondsSinceEpoch:)),
            graceUntil: (row["grace_until"] as Int64?).map(Timestamp.init(secondsSinceEpoch:)),
            tokensValidUntil: (row["tokens_valid_until"] as Int64?).map(Timestamp.init(secondsSinceEpoch:)),
            providerSecretID: row["provider_secret_id"]
        )
    }
}

extension WorkspacePolicy {
    init(row: Row) throws {
        guard let algorithm = SigningAlgorithm(rawValue: row["algorithm"]) else {
            throw DatabaseError(message: "unknown algorithm in workspaces")
        }
        try self.init(
            algorithm: algorithm,
            rotateEvery: .seconds(row["rotate_every_seconds"]),
            grace: .seconds(row["grace_seconds"]),
            tokenTTL: .seconds(row["token_ttl_seconds"]),
            maxTokenTTL: .seconds(row["max_token_ttl_seconds"]),
            requireKeyID: row["require_kid"],
            clockSkew: .seconds(row["clock_skew_seconds"]),
            signers: try (row["signers"] as String).split(separator: ",").map { try Principal(String($0)) },
            provider: try (row["provider"] as String?).map { text throws(KeyrotError) in try ProviderKind(parsing: text)
            }
        )
    }
}

extension ProviderJob {
    /// The columns ``init(row:)`` reads from `provider_jobs`.
    static let selection = """
        kind, key_id, provider_secret_id, urgent, attempts, not_before, last_error, blocked, created_at
        """

    init(row: Row) throws {
        guard let kind = Kind(rawValue: row["kind"]) else { throw DatabaseError(message: "unknown provider job kind") }
        self.init(
            kind: kind,
            keyID: row["key_id"],
            providerSecretID: row["provider_secret_id"],
            urgent: row["urgent"],
            attempts: row["attempts"],
            notBefore: Timestamp(secondsSinceEpoch: row["not_before"]),
            lastError: row["last_error"],
            blocked: row["blocked"],
            createdAt: Timestamp(secondsSinceEpoch: row["created_at"])
        )
    }
}

extension AuditEntry {
    /// The columns ``init(row:)`` reads from `audit_log`.
    static let selection = """
        seq, at, workspace, event, key_id, previous_key_id, reason, detail, actor_uid, actor_pid,
        lower(hex(hash)) AS chain_hash
        """

    init(row: Row) throws {
        guard let event = AuditEvent(rawValue: row["event"]) else {
            throw DatabaseError(message: "unknown audit event")
        }
        self.init(
            seq: row["seq"],
            at: Timestamp(secondsSinceEpoch: row["at"]),
            workspace: try (row["workspace"] as String?).map { name throws(KeyrotError) in try WorkspaceName(name) },
            event: event,
            keyID: row["key_id"],
            previousKeyID: row["previous_key_id"],
            reason: row["reason"],
            detail: row["detail"],
            actor: AuditActor(uid: row["actor_uid"], pid: row["actor_pid"]),
            chainHash: row["chain_hash"]
        )
    }
}
