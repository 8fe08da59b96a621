import KeyrotCore
import PostgresNIO

extension PostgresRandomAccessRow {
    /// The value of column `name`, decoded as `type`.
    func value<T: PostgresDecodable>(_ name: String, as type: T.Type = T.self) throws -> T {
        try self[name].decode(type)
    }

    /// A time column, nil where it is NULL.
    func timestamp(_ name: String) throws -> Timestamp? {
        try value(name, as: Int64?.self).map(Timestamp.init(secondsSinceEpoch:))
    }
}

extension KeyRecord {
    /// The columns ``init(postgres:)`` reads, from `keys AS k JOIN workspaces AS w`.
    static let selection = """
        w.name AS workspace, k.key_id, k.algorithm, k.state, k.leaked, k.created_at, k.activated_at, k.grace_until,
        k.tokens_valid_until, k.provider_secret_id
        """

    init(postgres row: PostgresRandomAccessRow) throws {
        guard let state = KeyState(rawValue: try row.value("state")),
            let algorithm = SigningAlgorithm(rawValue: try row.value("algorithm"))
        else { throw StoreError.databaseFailed(problem: "unknown key state or algorithm in keys") }
        self.init(
            workspace: try WorkspaceName(try row.value("workspace", as: String.self)),
            keyID: try row.value("key_id"),
            algorithm: algorithm,
            state: state,
            leaked: try row.value("leaked"),
            createdAt: Timestamp(secondsSinceEpoch: try row.value("created_at")),
            activatedAt: try row.timestamp("activated_at"),
            graceUntil: try row.timestamp("grace_until"),
            tokensValidUntil: try row.timestamp("tokens_valid_until"),
            providerSecretID: try row.value("provider_secret_id")
        )
    }
}

extension WorkspacePolicy {
    init(postgres row: PostgresRandomAccessRow) throws {
        guard let algorithm = SigningAlgorithm(rawValue: try row.value("algorithm")) else {
            throw StoreError.databaseFailed(problem: "unknown algorithm in workspaces")
        }
        try self.init(
            algorithm: algorithm,
            rotateEvery: .seconds(try row.value("rotate_every_seconds")),
            grace: .seconds(try row.value("grace_seconds")),
            tokenTTL: .seconds(try row.value("token_ttl_seconds")),
            maxTokenTTL: .seconds(try row.value("max_token_ttl_seconds")),
            requireKeyID: try row.value("require_kid"),
            clockSkew: .seconds(try row.value("clock_skew_seconds")),
            signers: try row.value("signers", as: String.self).split(separator: ",").map { try Principal(String($0)) },
            provider: try row.value("provider", as: String?.self).map { text throws(KeyrotError) in
                try ProviderKind(parsing: text)
            }
        )
    }

    /// The policy's columns in `workspaces`, in the order the statements name them.
    var columns:
        (
            algorithm: String, rotateEvery: Int64, grace: Int64, tokenTTL: Int64, maxTokenTTL: Int64,
            requireKeyID: Bool,
            clockSkew: Int64, signers: String, provider: String?
        )
    {
        (
            algorithm.rawValue, rotateEvery.seconds, grace.seconds, tokenTTL.seconds, maxTokenTTL.seconds,
            requireKeyID, clockSkew.seconds, signers.map(\.description).joined(separator: ","),
            provider?.description
        )
    }
}

extension ProviderJob {
    /// The columns ``init(postgres:)`` reads from `provider_jobs`.
    static let selection = """
        kind, key_id, provider_secret_id, urgent, attempts, not_before, last_error, blocked, created_at
        """

    init(postgres row: PostgresRandomAccessRow) throws {
        guard let kind = Kind(rawValue: try row.value("kind")) else {
            throw StoreError.databaseFailed(problem: "unknown provider job kind")
        }
        self.init(
            kind: kind,
            keyID: try row.value("key_id"),
            providerSecretID: try row.value("provider_secret_id"),
            urgent: try row.value("urgent"),
            attempts: try row.value("attempts"),
            notBefore: Timestamp(secondsSinceEpoch: try row.value("not_before")),
            lastError: try row.value("last_error"),
            blocked: try row.value("blocked"),
            createdAt: Timestamp(secondsSinceEpoch: try row.value("created_at"))
        )
    }
}

extension AuditEntry {
    /// The columns ``init(postgres:)`` reads from `audit_log`.
    static let selection = """
        seq, at, workspace, event, key_id, previous_key_id, reason, detail, actor_uid, actor_pid,
        encode(hash, 'hex') AS chain_hash
        """

    init(postgres row: PostgresRandomAccessRow) throws {
        guard let event = AuditEvent(rawValue: try row.value("event")) else {
            throw StoreError.databaseFailed(problem: "unknown audit event")
        }
        self.init(
            seq: try row.value("seq"),
            at: Timestamp(secondsSinceEpoch: try row.value("at")),
            workspace: try row.value("workspace", as: String?.self).map { name throws(KeyrotError) in
                try WorkspaceName(name)
            },
            event: event,
            keyID: try row.value("key_id"),
            previousKeyID: try row.value("previous_key_id"),
            reason: try row.value("reason"),
            detail: try row.value("detail"),
            actor: AuditActor(uid: try row.value("actor_uid"), pid: try row.value("actor_pid")),
            chainHash: try row.value("chain_hash")
        )
    }
}
