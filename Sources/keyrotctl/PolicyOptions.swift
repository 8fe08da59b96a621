import ArgumentParser
import KeyrotControl

/// Policy settings on the command line, for `workspace add` and `workspace set`.
struct PolicyOptions: ParsableArguments {
    @Option(help: "HS256, HS384 or HS512.") var algorithm: String?
    @Option(help: "How often the key rotates, e.g. 30d.") var rotateEvery: String?
    @Option(help: "How long a replaced key keeps verifying, e.g. 7d.") var grace: String?
    @Option(help: "Default token lifetime, e.g. 1h.") var tokenTtl: String?
    @Option(help: "Longest token lifetime a caller may ask for.") var maxTokenTtl: String?
    @Option(help: "Reject tokens without a kid: true or false.") var requireKid: Bool?
    @Option(help: "Leeway for exp, nbf and iat, e.g. 60s.") var clockSkew: String?
    @Option(name: .customLong("signer"), help: "uid:N or group:NAME allowed to sign and verify (repeatable).")
    var signers: [String] = []
    @Flag(help: "Remove every signer.") var noSigners = false

    var change: KeyrotAPI.PolicyChange {
        KeyrotAPI.PolicyChange(
            algorithm: algorithm,
            rotate_every: rotateEvery,
            grace: grace,
            token_ttl: tokenTtl,
            max_token_ttl: maxTokenTtl,
            require_kid: requireKid,
            clock_skew: clockSkew,
            signers: noSigners ? [] : (signers.isEmpty ? nil : signers)
        )
    }
}

struct WorkspaceCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "workspace",
        abstract: "Create, list, show and change workspaces.",
        subcommands: [Add.self, List.self, Show.self, Set.self]
    )

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a workspace and its first key.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "Workspace name: a-z, 0-9, '-' and '_'.") var name: String
        @OptionGroup var policy: PolicyOptions

        func run() async throws {
            let result = try await global.call(
                "CreateWorkspace",
                KeyrotAPI.CreateWorkspaceParameters(name: name, policy: policy.change),
                returning: KeyrotAPI.WorkspaceResult.self
            )
            if !global.json { showWorkspace(result.workspace) }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List workspaces.")
        @OptionGroup var global: GlobalOptions

        func run() async throws {
            let result = try await global.call(
                "ListWorkspaces",
                KeyrotAPI.Empty(),
                returning: KeyrotAPI.WorkspacesResult.self
            )
            guard !global.json else { return }
            printTable(
                ["WORKSPACE", "ALGORITHM", "ROTATE EVERY", "GRACE", "ACTIVE KEY", "NEXT ROTATION"],
                result.workspaces.map {
                    [
                        $0.name, $0.algorithm, $0.rotate_every, $0.grace, $0.active_key_id ?? "-",
                        $0.next_rotation_at ?? "-",
                    ]
                }
            )
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show a workspace's policy and keys.")
        @OptionGroup var global: GlobalOptions
        @Argument var name: String

        func run() async throws {
            let result = try await global.call(
                "GetWorkspace",
                KeyrotAPI.NameParameters(name: name),
                returning: KeyrotAPI.GetWorkspaceResult.self
            )
            guard !global.json else { return }
            showWorkspace(result.workspace)
            print("")
            showKeys(result.keys)
        }
    }

    struct Set: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Change a workspace's policy (a new algorithm rotates its key)."
        )
        @OptionGroup var global: GlobalOptions
        @Argument var name: String
        @OptionGroup var policy: PolicyOptions

        func run() async throws {
            let result = try await global.call(
                "UpdateWorkspace",
                KeyrotAPI.UpdateWorkspaceParameters(name: name, policy: policy.change),
                returning: KeyrotAPI.WorkspaceResult.self
            )
            if !global.json { showWorkspace(result.workspace) }
        }
    }
}

func showWorkspace(_ workspace: KeyrotAPI.Workspace) {
    printTable(
        ["SETTING", "VALUE"],
        [
            ["workspace", workspace.name], ["algorithm", workspace.algorithm],
            ["rotate_every", workspace.rotate_every],
            ["grace", workspace.grace], ["token_ttl", workspace.token_ttl], ["max_token_ttl", workspace.max_token_ttl],
            ["require_kid", "\(workspace.require_kid)"], ["clock_skew", workspace.clock_skew],
            ["signers", workspace.signers.isEmpty ? "-" : workspace.signers.joined(separator: ", ")],
            ["active key", workspace.active_key_id ?? "-"], ["next rotation", workspace.next_rotation_at ?? "-"],
            ["provider", workspace.provider ?? "-"],
        ]
    )
}

func showKeys(_ keys: [KeyrotAPI.Key]) {
    let atProvider = keys.contains { $0.provider_id != nil }
    printTable(
        ["KEY", "ALGORITHM", "STATE", "VERIFIES", "CREATED", "GRACE UNTIL"] + (atProvider ? ["PROVIDER ID"] : []),
        keys.map {
            [
                $0.key_id, $0.algorithm, $0.state + ($0.leaked ? " (leaked)" : ""), $0.verifies ? "yes" : "no",
                $0.created_at,
                $0.grace_until ?? "-",
            ] + (atProvider ? [$0.provider_id ?? "-"] : [])
        }
    )
}
