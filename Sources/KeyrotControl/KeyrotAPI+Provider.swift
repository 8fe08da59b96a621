/// The provider agent's part of `io.keyrotd` (see `io.keyrotd.varlink`): its work, its reports, and the status an
/// administrator reads. Wire names are the interface's.
extension KeyrotAPI {
    public struct ProviderJob: Codable, Hashable, Sendable {
        public var kind: String
        public var key_id: String
        public var provider_secret_id: String?
        public var secret_name: String?
        public var urgent: Bool
        public var attempts: Int
        public var next_attempt_at: String
        public var last_error: String?
        public var blocked: Bool

        public init(
            kind: String,
            key_id: String,
            provider_secret_id: String?,
            secret_name: String?,
            urgent: Bool,
            attempts: Int,
            next_attempt_at: String,
            last_error: String?,
            blocked: Bool
        ) {
            self.kind = kind
            self.key_id = key_id
            self.provider_secret_id = provider_secret_id
            self.secret_name = secret_name
            self.urgent = urgent
            self.attempts = attempts
            self.next_attempt_at = next_attempt_at
            self.last_error = last_error
            self.blocked = blocked
        }
    }

    public struct IntercomSettings: Codable, Hashable, Sendable {
        public var api_base: String
        public var token_credential: String
        public var platforms: [String]
        public var ca_file: String?
        public var timeout_seconds: Int
        public var sweep_every_seconds: Int

        public init(
            api_base: String,
            token_credential: String,
            platforms: [String],
            ca_file: String?,
            timeout_seconds: Int,
            sweep_every_seconds: Int
        ) {
            self.api_base = api_base
            self.token_credential = token_credential
            self.platforms = platforms
            self.ca_file = ca_file
            self.timeout_seconds = timeout_seconds
            self.sweep_every_seconds = sweep_every_seconds
        }
    }

    public struct ProviderWorkspace: Codable, Hashable, Sendable {
        public var workspace: String
        public var provider: String
        public var intercom: IntercomSettings?
        public var hook: String?
        public var secret_name_prefix: String
        public var managed_ids: [String]
        public var jobs: [ProviderJob]

        public init(
            workspace: String,
            provider: String,
            intercom: IntercomSettings?,
            hook: String?,
            secret_name_prefix: String,
            managed_ids: [String],
            jobs: [ProviderJob]
        ) {
            self.workspace = workspace
            self.provider = provider
            self.intercom = intercom
            self.hook = hook
            self.secret_name_prefix = secret_name_prefix
            self.managed_ids = managed_ids
            self.jobs = jobs
        }
    }

    public struct ProviderWorkResult: Codable, Hashable, Sendable {
        public var workspaces: [ProviderWorkspace]

        public init(workspaces: [ProviderWorkspace]) { self.workspaces = workspaces }
    }

    /// `ProviderCreated`'s parameters. `secret` is the provider's string as returned: its UTF-8 bytes are the key.
    public struct ProviderCreatedParameters: Codable, Hashable, Sendable {
        public var workspace: String
        public var key_id: String
        public var provider_secret_id: String
        public var secret: String

        public init(workspace: String, key_id: String, provider_secret_id: String, secret: String) {
            self.workspace = workspace
            self.key_id = key_id
            self.provider_secret_id = provider_secret_id
            self.secret = secret
        }
    }

    public struct ProviderDeletedParameters: Codable, Hashable, Sendable {
        public var workspace: String
        public var key_id: String

        public init(workspace: String, key_id: String) {
            self.workspace = workspace
            self.key_id = key_id
        }
    }

    public struct ProviderOrphanDeletedParameters: Codable, Hashable, Sendable {
        public var workspace: String
        public var provider_secret_id: String
        public var name: String

        public init(workspace: String, provider_secret_id: String, name: String) {
            self.workspace = workspace
            self.provider_secret_id = provider_secret_id
            self.name = name
        }
    }

    public struct ProviderFailedParameters: Codable, Hashable, Sendable {
        public var workspace: String
        public var kind: String
        public var key_id: String
        /// `unauthorized`, `transient` or `rejected`.
        public var failure: String
        public var status: Int?
        public var retry_after_seconds: Int?
        public var message: String

        public init(
            workspace: String,
            kind: String,
            key_id: String,
            failure: String,
            status: Int?,
            retry_after_seconds: Int?,
            message: String
        ) {
            self.workspace = workspace
            self.kind = kind
            self.key_id = key_id
            self.failure = failure
            self.status = status
            self.retry_after_seconds = retry_after_seconds
            self.message = message
        }
    }

    public struct ProviderFailedResult: Codable, Hashable, Sendable {
        public var next_attempt_at: String
        public var blocked: Bool

        public init(next_attempt_at: String, blocked: Bool) {
            self.next_attempt_at = next_attempt_at
            self.blocked = blocked
        }
    }

    public struct ProviderSecret: Codable, Hashable, Sendable {
        public var id: String
        public var name: String
        public var created_at: Int64?

        public init(id: String, name: String, created_at: Int64?) {
            self.id = id
            self.name = name
            self.created_at = created_at
        }
    }

    public struct ProviderListedParameters: Codable, Hashable, Sendable {
        public var workspace: String
        public var secrets: [ProviderSecret]

        public init(workspace: String, secrets: [ProviderSecret]) {
            self.workspace = workspace
            self.secrets = secrets
        }
    }

    public struct ProviderStatusParameters: Codable, Hashable, Sendable {
        public var workspace: String?

        public init(workspace: String?) { self.workspace = workspace }
    }

    public struct ProviderWorkspaceStatus: Codable, Hashable, Sendable {
        public var workspace: String
        public var provider: String
        public var jobs: [ProviderJob]
        public var unmanaged: [ProviderSecret]
        public var listed_at: String?
        public var agent_seen_at: String?
        public var problem: String?

        public init(
            workspace: String,
            provider: String,
            jobs: [ProviderJob],
            unmanaged: [ProviderSecret],
            listed_at: String?,
            agent_seen_at: String?,
            problem: String?
        ) {
            self.workspace = workspace
            self.provider = provider
            self.jobs = jobs
            self.unmanaged = unmanaged
            self.listed_at = listed_at
            self.agent_seen_at = agent_seen_at
            self.problem = problem
        }
    }

    public struct ProviderStatusResult: Codable, Hashable, Sendable {
        public var workspaces: [ProviderWorkspaceStatus]

        public init(workspaces: [ProviderWorkspaceStatus]) { self.workspaces = workspaces }
    }
}
