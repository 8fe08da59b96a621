import KeyrotControl
import KeyrotCore
import TOMLKit

extension DaemonConfiguration {
    private static let policyKeys: Set<String> = [
        "algorithm", "rotate_every", "grace", "token_ttl", "max_token_ttl", "require_kid", "clock_skew", "signers",
        "provider",
    ]
    private static let intercomKeys: Set<String> = [
        "api_base", "token_credential", "platforms", "ca_file", "timeout", "sweep_every",
    ]
    private static let topLevelKeys: Set<String> = ["defaults", "workspace", "access", "control", "store"]

    /// Parses the TOML configuration; `file` names it in errors.
    ///
    /// ```toml
    /// [defaults]                 # every key optional; these are the built-in values
    /// algorithm = "HS256"        # HS256, HS384 or HS512
    /// rotate_every = "30d"       # systemd time spans: 90s, 15min, 12h, 30d, "1d 12h"
    /// grace = "7d"
    /// token_ttl = "1h"
    /// max_token_ttl = "24h"      # default: the larger of 24h and token_ttl
    /// require_kid = false        # true: tokens without a kid are rejected
    /// clock_skew = "60s"         # leeway for exp, nbf and iat
    /// signers = ["uid:1001", "group:webapp"]   # who may Sign and Verify besides administrators
    ///
    /// [access]
    /// admin_group = "keyrotd-admin"   # members may call every control method
    ///
    /// [control]
    /// max_connections = 256
    /// idle_timeout = "60s"
    ///
    /// [workspace.acme]           # a workspace to create at start; keys as in [defaults]
    /// rotate_every = "2s"
    /// provider = "intercom"      # its secrets come from Intercom (or "hook:/path/to/executable")
    ///
    /// [workspace.acme.intercom]
    /// api_base = "https://api.intercom.io"   # or api.eu / api.au; http:// only to loopback
    /// token_credential = "intercom-acme"     # the access token's credential name (default intercom-NAME)
    /// platforms = ["web"]                    # any of web, ios, android
    /// timeout = "10s"                        # each call's deadline
    /// sweep_every = "5min"                   # how often to look for orphans and unmanaged secrets
    /// ```
    /// - Throws: ``DaemonError/configuration(file:key:problem:)`` naming the file, the setting and the problem.
    public init(toml text: String, file: String) throws(DaemonError) {
        let root: TOMLTable
        do {
            root = try TOMLTable(string: text)
        } catch let error as TOMLParseError {
            throw .configuration(file: file, key: nil, problem: "line \(error.source.begin.line): \(error.description)")
        } catch {
            throw .configuration(file: file, key: nil, problem: "not valid TOML")
        }
        for key in root.keys where !Self.topLevelKeys.contains(key) {
            throw .configuration(
                file: file,
                key: key,
                problem: "unknown setting (expected [defaults], [workspace.NAME], [access], [control] or [store])"
            )
        }
        let defaults = try Self.policy(root["defaults"], section: "defaults", inheriting: nil, file: file)
        var workspaces: [WorkspaceName: WorkspacePolicy] = [:]
        var intercom: [WorkspaceName: IntercomSettings] = [:]
        if let value = root["workspace"] {
            guard let table = value.table else {
                throw .configuration(file: file, key: "workspace", problem: "must be tables like [workspace.acme]")
            }
            for name in table.keys {
                let section = "workspace.\(name)"
                let workspace: WorkspaceName
                do { workspace = try WorkspaceName(name) } catch {
                    throw .configuration(file: file, key: "[\(section)]", problem: error.description)
                }
                let policy = try Self.policy(table[name], section: section, inheriting: defaults, file: file)
                workspaces[workspace] = policy
                let sub = table[name]?.table?["intercom"]
                if policy.provider == .intercom {
                    intercom[workspace] = try Self.intercom(sub, workspace: workspace, file: file)
                } else if sub != nil {
                    throw .configuration(
                        file: file,
                        key: "[\(section).intercom]",
                        problem: "the workspace's provider is not \"intercom\""
                    )
                }
            }
        }
        let (adminGroup, providers, limits) = try Self.accessAndControl(root, file: file)
        self.init(
            defaults: defaults,
            workspaces: workspaces,
            adminGroup: adminGroup,
            controlLimits: limits,
            intercom: intercom,
            providers: providers,
            store: try Self.store(root["store"], file: file)
        )
    }

    /// `[store] backend = "sqlite"` (the default) or `"postgresql"` with its `url`.
    private static func store(_ value: (any TOMLValueConvertible)?, file: String) throws(DaemonError) -> StoreSettings {
        guard let value else { return .sqlite }
        guard let table = value.table else {
            throw .configuration(file: file, key: "store", problem: "must be a table")
        }
        for key in table.keys where key != "backend" && key != "url" {
            throw .configuration(
                file: file,
                key: "[store] \(key)",
                problem: "unknown setting (expected backend or url)"
            )
        }
        switch table["backend"].map({ $0.string }) ?? "sqlite" {
        case "sqlite":
            guard table["url"] == nil else {
                throw .configuration(file: file, key: "[store] url", problem: "only a postgresql backend has a url")
            }
            return .sqlite
        case "postgresql":
            guard let url = table["url"]?.string else {
                throw .configuration(
                    file: file,
                    key: "[store] url",
                    problem: "a postgresql backend needs url = \"postgresql://USER@HOST:PORT/DATABASE\""
                )
            }
            if let problem = PostgresStoreOpener.problem(with: url) {
                throw .configuration(file: file, key: "[store] url", problem: problem)
            }
            return .postgresql(url: url)
        default:
            throw .configuration(file: file, key: "[store] backend", problem: "must be \"sqlite\" or \"postgresql\"")
        }
    }

    private static func intercom(
        _ value: (any TOMLValueConvertible)?,
        workspace: WorkspaceName,
        file: String
    ) throws(DaemonError) -> IntercomSettings {
        let section = "[workspace.\(workspace).intercom]"
        guard let table = value?.table ?? (value == nil ? TOMLTable() : nil) else {
            throw .configuration(file: file, key: section, problem: "must be a table")
        }
        for key in table.keys where !intercomKeys.contains(key) {
            throw .configuration(
                file: file,
                key: "\(section) \(key)",
                problem: "unknown setting (expected one of \(intercomKeys.sorted().joined(separator: ", ")))"
            )
        }
        func text(_ key: String) throws(DaemonError) -> String? {
            guard let value = table[key] else { return nil }
            guard let string = value.string else {
                throw .configuration(file: file, key: "\(section) \(key)", problem: "must be a string")
            }
            return string
        }
        var platforms = ["web"]
        if let value = table["platforms"] {
            guard let entries = value.array?.map({ $0.string }), !entries.contains(nil) else {
                throw .configuration(file: file, key: "\(section) platforms", problem: "must be a list of strings")
            }
            platforms = entries.map { $0! }
        }
        func span(_ key: String, default value: TimeSpan) throws(DaemonError) -> TimeSpan {
            guard let spanText = try text(key) else { return value }
            do { return try TimeSpan(parsing: spanText) } catch {
                throw .configuration(file: file, key: "\(section) \(key)", problem: error.description)
            }
        }
        do {
            return try IntercomSettings(
                apiBase: text("api_base") ?? IntercomSettings.regions[0],
                tokenCredential: text("token_credential") ?? "intercom-\(workspace)",
                platforms: platforms,
                caFile: text("ca_file"),
                timeout: span("timeout", default: .seconds(10)),
                sweepEvery: span("sweep_every", default: .minutes(5))
            )
        } catch let error as KeyrotError {
            throw .configuration(file: file, key: section, problem: error.description)
        } catch let error as DaemonError {
            throw error
        } catch {
            throw .configuration(file: file, key: section, problem: "invalid")
        }
    }

    private static func accessAndControl(
        _ root: TOMLTable,
        file: String
    ) throws(DaemonError) -> (String?, [String], ControlLimits) {
        var adminGroup: String?
        var providers: [String] = []
        if let value = root["access"] {
            guard let table = value.table else {
                throw .configuration(file: file, key: "access", problem: "must be a table")
            }
            for key in table.keys where key != "admin_group" && key != "providers" {
                throw .configuration(
                    file: file,
                    key: "[access] \(key)",
                    problem: "unknown setting (expected admin_group or providers)"
                )
            }
            if let value = table["providers"] {
                guard let entries = value.array?.map({ $0.string }), !entries.contains(nil),
                    entries.allSatisfy({ $0!.hasPrefix("uid:") || $0!.hasPrefix("group:") })
                else {
                    throw .configuration(
                        file: file,
                        key: "[access] providers",
                        problem: "must be a list of \"uid:NUMBER\", \"uid:USER\" or \"group:NAME\" entries"
                    )
                }
                providers = entries.map { $0! }
            }
            if let group = table["admin_group"] {
                guard let name = group.string, !name.isEmpty else {
                    throw .configuration(file: file, key: "[access] admin_group", problem: "must be a group name")
                }
                adminGroup = name
            }
        }
        var limits = ControlLimits()
        if let value = root["control"] {
            guard let table = value.table else {
                throw .configuration(file: file, key: "control", problem: "must be a table")
            }
            for key in table.keys where !["max_connections", "idle_timeout"].contains(key) {
                throw .configuration(
                    file: file,
                    key: "[control] \(key)",
                    problem: "unknown setting (expected max_connections or idle_timeout)"
                )
            }
            if let count = table["max_connections"] {
                guard let number = count.int, (1...65_536).contains(number) else {
                    throw .configuration(file: file, key: "[control] max_connections", problem: "must be 1 to 65536")
                }
                limits = ControlLimits(maximumConnections: number, idleTimeout: limits.idleTimeout)
            }
            if let timeout = table["idle_timeout"] {
                guard let text = timeout.string, let span = try? TimeSpan(parsing: text),
                    (1...86_400).contains(span.seconds)
                else {
                    throw .configuration(
                        file: file,
                        key: "[control] idle_timeout",
                        problem: "must be a span from 1s to 1d"
                    )
                }
                limits.idleTimeout = .seconds(span.seconds)
            }
        }
        return (adminGroup, providers, limits)
    }

    private static func policy(
        _ value: (any TOMLValueConvertible)?,
        section: String,
        inheriting parent: WorkspacePolicy?,
        file: String
    ) throws(DaemonError) -> WorkspacePolicy {
        let base = parent ?? .standard
        guard let value else { return base }
        guard let table = value.table else {
            throw .configuration(file: file, key: section, problem: "must be a table ([\(section)])")
        }
        let isWorkspace = parent != nil
        for key in table.keys where !policyKeys.contains(key) && !(isWorkspace && key == "intercom") {
            throw .configuration(
                file: file,
                key: "[\(section)] \(key)",
                problem: "unknown setting (expected one of \(policyKeys.sorted().joined(separator: ", ")))"
            )
        }
        func text(_ key: String) throws(DaemonError) -> String? {
            guard let value = table[key] else { return nil }
            guard let string = value.string else {
                throw .configuration(file: file, key: "[\(section)] \(key)", problem: "must be a string, like \"30d\"")
            }
            return string
        }
        func span(_ key: String) throws(DaemonError) -> TimeSpan? {
            guard let string = try text(key) else { return nil }
            do { return try TimeSpan(parsing: string) } catch {
                throw .configuration(file: file, key: "[\(section)] \(key)", problem: error.description)
            }
        }
        var algorithm = base.algorithm
        if let name = try text("algorithm") {
            guard let parsed = SigningAlgorithm(rawValue: name) else {
                throw .configuration(
                    file: file,
                    key: "[\(section)] algorithm",
                    problem: "\"\(name)\" is not HS256, HS384 or HS512"
                )
            }
            algorithm = parsed
        }
        var requireKeyID = base.requireKeyID
        if let value = table["require_kid"] {
            guard let flag = value.bool else {
                throw .configuration(file: file, key: "[\(section)] require_kid", problem: "must be true or false")
            }
            requireKeyID = flag
        }
        var signers = base.signers
        if let value = table["signers"] {
            guard let entries = value.array?.map({ $0.string }), !entries.contains(nil) else {
                throw .configuration(file: file, key: "[\(section)] signers", problem: "must be a list of strings")
            }
            signers = []
            for entry in entries {
                do { signers.append(try Principal(entry!)) } catch {
                    throw .configuration(file: file, key: "[\(section)] signers", problem: error.description)
                }
            }
        }
        var provider = base.provider
        if let name = try text("provider") {
            do { provider = try ProviderKind(parsing: name) } catch {
                throw .configuration(file: file, key: "[\(section)] provider", problem: error.description)
            }
        }
        let tokenTTL = try span("token_ttl") ?? base.tokenTTL
        let inheritedMax = max(base.maxTokenTTL, tokenTTL)
        do {
            return try WorkspacePolicy(
                algorithm: algorithm,
                rotateEvery: span("rotate_every") ?? base.rotateEvery,
                grace: span("grace") ?? base.grace,
                tokenTTL: tokenTTL,
                maxTokenTTL: span("max_token_ttl") ?? inheritedMax,
                requireKeyID: requireKeyID,
                clockSkew: span("clock_skew") ?? base.clockSkew,
                signers: signers,
                provider: provider
            )
        } catch let error as KeyrotError {
            throw .configuration(file: file, key: "[\(section)]", problem: error.description)
        } catch let error as DaemonError {
            throw error
        } catch {
            throw .configuration(file: file, key: "[\(section)]", problem: "invalid")
        }
    }
}
