// The wire names are the interface file's (snake_case), on purpose.

import KeyrotCore

/// The parameters and results of `io.keyrotd` methods, exactly as `io.keyrotd.varlink` declares them; the daemon
/// answers with them and `keyrotctl` sends and reads them.
public enum KeyrotAPI {
    public struct Workspace: Codable, Hashable, Sendable {
        public var name: String
        public var algorithm: String
        public var rotate_every: String
        public var grace: String
        public var token_ttl: String
        public var max_token_ttl: String
        public var require_kid: Bool
        public var clock_skew: String
        public var signers: [String]
        public var active_key_id: String?
        public var next_rotation_at: String?
        /// `intercom` or `hook:PATH` when the workspace's secrets come from a provider.
        public var provider: String?

        public init(
            name: String,
            algorithm: String,
            rotate_every: String,
            grace: String,
            token_ttl: String,
            max_token_ttl: String,
            require_kid: Bool,
            clock_skew: String,
            signers: [String],
            active_key_id: String?,
            next_rotation_at: String?,
            provider: String? = nil
        ) {
            self.name = name
            self.algorithm = algorithm
            self.rotate_every = rotate_every
            self.grace = grace
            self.token_ttl = token_ttl
            self.max_token_ttl = max_token_ttl
            self.require_kid = require_kid
            self.clock_skew = clock_skew
            self.signers = signers
            self.active_key_id = active_key_id
            self.next_rotation_at = next_rotation_at
            self.provider = provider
        }
    }

    public struct Key: Codable, Hashable, Sendable {
        public var key_id: String
        public var algorithm: String
        public var state: String
        public var leaked: Bool
        public var created_at: String
        public var activated_at: String?
        public var grace_until: String?
        public var verifies: Bool
        /// The id of the key's secret at the workspace's provider (Intercom's), if it has one there.
        public var provider_id: String?

        public init(
            key_id: String,
            algorithm: String,
            state: String,
            leaked: Bool,
            created_at: String,
            activated_at: String?,
            grace_until: String?,
            verifies: Bool,
            provider_id: String? = nil
        ) {
            self.key_id = key_id
            self.algorithm = algorithm
            self.state = state
            self.leaked = leaked
            self.created_at = created_at
            self.activated_at = activated_at
            self.grace_until = grace_until
            self.verifies = verifies
            self.provider_id = provider_id
        }
    }

    public struct AuditEntry: Codable, Hashable, Sendable {
        public var seq: Int64
        public var at: String
        /// nil for a change to the whole database (`master_key_rotated`).
        public var workspace: String?
        public var event: String
        public var key_id: String?
        public var previous_key_id: String?
        public var reason: String?
        public var detail: String?
        public var actor_uid: Int64
        public var actor_pid: Int64
        public var chain_hash: String

        public init(
            seq: Int64,
            at: String,
            workspace: String?,
            event: String,
            key_id: String?,
            previous_key_id: String?,
            reason: String?,
            detail: String?,
            actor_uid: Int64,
            actor_pid: Int64,
            chain_hash: String
        ) {
            self.seq = seq
            self.at = at
            self.workspace = workspace
            self.event = event
            self.key_id = key_id
            self.previous_key_id = previous_key_id
            self.reason = reason
            self.detail = detail
            self.actor_uid = actor_uid
            self.actor_pid = actor_pid
            self.chain_hash = chain_hash
        }
    }

    public struct PolicyChange: Codable, Hashable, Sendable {
        public var algorithm: String?
        public var rotate_every: String?
        public var grace: String?
        public var token_ttl: String?
        public var max_token_ttl: String?
        public var require_kid: Bool?
        public var clock_skew: String?
        public var signers: [String]?

        public init(
            algorithm: String? = nil,
            rotate_every: String? = nil,
            grace: String? = nil,
            token_ttl: String? = nil,
            max_token_ttl: String? = nil,
            require_kid: Bool? = nil,
            clock_skew: String? = nil,
            signers: [String]? = nil
        ) {
            self.algorithm = algorithm
            self.rotate_every = rotate_every
            self.grace = grace
            self.token_ttl = token_ttl
            self.max_token_ttl = max_token_ttl
            self.require_kid = require_kid
            self.clock_skew = clock_skew
            self.signers = signers
        }
    }

    public struct Empty: Codable, Hashable, Sendable {
        public init() {}
    }

    /// `Sign`'s parameters: whose token, for how long, with which extra claims.
    public struct SignParameters: Codable, Hashable, Sendable {
        public var workspace: String
        public var user_id: String
        public var ttl: String?
        public var claims: [String: JSONValue]?

        public init(workspace: String, user_id: String, ttl: String? = nil, claims: [String: JSONValue]? = nil) {
            self.workspace = workspace
            self.user_id = user_id
            self.ttl = ttl
            self.claims = claims
        }

        /// The members, by their wire names.
        private enum CodingKeys: String, CodingKey { case workspace, user_id, ttl, claims }

        /// Reads `claims` as the core's ``KeyrotCore/ClaimValue``s (a string, a number or a boolean); a nested array,
        /// object or null is an invalid parameter.
        ///
        /// - Important: Not as `JSONValue`s: reading any JSON value tries each type in turn at every level, and
        ///   each failed try costs as much as the level is deep, so a few kilobytes of brackets from a peer would
        ///   hold up the server for seconds.
        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            workspace = try container.decode(String.self, forKey: .workspace)
            user_id = try container.decode(String.self, forKey: .user_id)
            ttl = try container.decodeIfPresent(String.self, forKey: .ttl)
            claims = try container.decodeIfPresent([String: ClaimValue].self, forKey: .claims)?.mapValues { claim in
                switch claim {
                case .string(let text): .string(text)
                case .number(let number): .number(number)
                case .bool(let flag): .bool(flag)
                }
            }
        }
    }

    public struct UserHashParameters: Codable, Hashable, Sendable {
        public var workspace: String
        public var user_id: String

        public init(workspace: String, user_id: String) {
            self.workspace = workspace
            self.user_id = user_id
        }
    }

    public struct UserHashResult: Codable, Hashable, Sendable {
        public var user_hash: String
        public var key_id: String

        public init(user_hash: String, key_id: String) {
            self.user_hash = user_hash
            self.key_id = key_id
        }
    }

    public struct SignResult: Codable, Hashable, Sendable {
        public var token: String
        public var key_id: String
        public var issued_at: String
        public var expires_at: String

        public init(token: String, key_id: String, issued_at: String, expires_at: String) {
            self.token = token
            self.key_id = key_id
            self.issued_at = issued_at
            self.expires_at = expires_at
        }
    }

    public struct VerifyParameters: Codable, Hashable, Sendable {
        public var workspace: String
        public var token: String

        public init(workspace: String, token: String) {
            self.workspace = workspace
            self.token = token
        }
    }

    public struct VerifyResult: Codable, Hashable, Sendable {
        public var valid: Bool
        public var reason: String?
        public var key_id: String?
        public var user_id: String?
        public var expires_at: String?
        public var claims: [String: JSONValue]?

        public init(
            valid: Bool,
            reason: String? = nil,
            key_id: String? = nil,
            user_id: String? = nil,
            expires_at: String? = nil,
            claims: [String: JSONValue]? = nil
        ) {
            self.valid = valid
            self.reason = reason
            self.key_id = key_id
            self.user_id = user_id
            self.expires_at = expires_at
            self.claims = claims
        }
    }

    public struct RotateParameters: Codable, Hashable, Sendable {
        public var workspace: String
        public var emergency: Bool?
        public var reason: String?

        public init(workspace: String, emergency: Bool? = nil, reason: String? = nil) {
            self.workspace = workspace
            self.emergency = emergency
            self.reason = reason
        }
    }

    public struct FlagLeakParameters: Codable, Hashable, Sendable {
        public var workspace: String
        public var key_id: String
        public var reason: String

        public init(workspace: String, key_id: String, reason: String) {
            self.workspace = workspace
            self.key_id = key_id
            self.reason = reason
        }
    }

    public struct RevokeParameters: Codable, Hashable, Sendable {
        public var workspace: String
        public var key_id: String
        public var reason: String?

        public init(workspace: String, key_id: String, reason: String? = nil) {
            self.workspace = workspace
            self.key_id = key_id
            self.reason = reason
        }
    }

    public struct EntriesResult: Codable, Hashable, Sendable {
        public var entries: [AuditEntry]

        public init(entries: [AuditEntry]) {
            self.entries = entries
        }
    }

    /// The reply to `FlagLeak` and `Revoke`: the audit rows, or, while the store cannot take the change, why the
    /// revocation (already in force in memory) is not yet durable.
    public struct RevocationResult: Codable, Hashable, Sendable {
        public var entries: [AuditEntry]
        public var not_durable: String?

        public init(entries: [AuditEntry], not_durable: String? = nil) {
            self.entries = entries
            self.not_durable = not_durable
        }
    }

    public struct ImportKeyParameters: Codable, Hashable, Sendable {
        public var workspace: String
        /// Standard base64 of the secret's bytes.
        public var secret: String
        public var key_id: String?
        public var activate: Bool?
        public var provider_id: String?

        public init(
            workspace: String,
            secret: String,
            key_id: String? = nil,
            activate: Bool? = nil,
            provider_id: String? = nil
        ) {
            self.workspace = workspace
            self.secret = secret
            self.key_id = key_id
            self.activate = activate
            self.provider_id = provider_id
        }
    }

    public struct ImportKeyResult: Codable, Hashable, Sendable {
        public var key: Key
        public var entries: [AuditEntry]

        public init(key: Key, entries: [AuditEntry]) {
            self.key = key
            self.entries = entries
        }
    }

    public struct CreateWorkspaceParameters: Codable, Hashable, Sendable {
        public var name: String
        public var policy: PolicyChange?

        public init(name: String, policy: PolicyChange? = nil) {
            self.name = name
            self.policy = policy
        }
    }

    public struct UpdateWorkspaceParameters: Codable, Hashable, Sendable {
        public var name: String
        public var policy: PolicyChange

        public init(name: String, policy: PolicyChange) {
            self.name = name
            self.policy = policy
        }
    }

    public struct WorkspaceResult: Codable, Hashable, Sendable {
        public var workspace: Workspace
        public var entries: [AuditEntry]

        public init(workspace: Workspace, entries: [AuditEntry]) {
            self.workspace = workspace
            self.entries = entries
        }
    }

    public struct WorkspacesResult: Codable, Hashable, Sendable {
        public var workspaces: [Workspace]

        public init(workspaces: [Workspace]) {
            self.workspaces = workspaces
        }
    }

    public struct NameParameters: Codable, Hashable, Sendable {
        public var name: String

        public init(name: String) {
            self.name = name
        }
    }

    public struct GetWorkspaceResult: Codable, Hashable, Sendable {
        public var workspace: Workspace
        public var keys: [Key]

        public init(workspace: Workspace, keys: [Key]) {
            self.workspace = workspace
            self.keys = keys
        }
    }

    public struct WorkspaceParameters: Codable, Hashable, Sendable {
        public var workspace: String

        public init(workspace: String) {
            self.workspace = workspace
        }
    }

    public struct KeysResult: Codable, Hashable, Sendable {
        public var keys: [Key]

        public init(keys: [Key]) {
            self.keys = keys
        }
    }

    public struct HistoryParameters: Codable, Hashable, Sendable {
        public var workspace: String?
        public var limit: Int?

        public init(workspace: String? = nil, limit: Int? = nil) {
            self.workspace = workspace
            self.limit = limit
        }
    }

    public struct VerifyAuditParameters: Codable, Hashable, Sendable {
        public var journal: Bool?

        public init(journal: Bool? = nil) {
            self.journal = journal
        }
    }

    public struct JournalAudit: Codable, Hashable, Sendable {
        public var hashes: Int
        public var findings: [String]

        public init(hashes: Int, findings: [String]) {
            self.hashes = hashes
            self.findings = findings
        }
    }

    public struct VerifyAuditResult: Codable, Hashable, Sendable {
        public var intact: Bool
        public var entries: Int
        public var breaks: [Int64]
        public var last_hash: String?
        public var journal: JournalAudit?

        public init(intact: Bool, entries: Int, breaks: [Int64], last_hash: String?, journal: JournalAudit? = nil) {
            self.intact = intact
            self.entries = entries
            self.breaks = breaks
            self.last_hash = last_hash
            self.journal = journal
        }
    }

    public struct StatusResult: Codable, Hashable, Sendable {
        public var version: String
        public var database: String
        public var workspaces: Int
        public var next_rotation_workspace: String?
        public var next_rotation_at: String?
        public var status: String

        public init(
            version: String,
            database: String,
            workspaces: Int,
            next_rotation_workspace: String?,
            next_rotation_at: String?,
            status: String
        ) {
            self.version = version
            self.database = database
            self.workspaces = workspaces
            self.next_rotation_workspace = next_rotation_workspace
            self.next_rotation_at = next_rotation_at
            self.status = status
        }
    }
}
