import ArgumentParser
import KeyrotControl

/// `keyrotctl provider ...`: the work keyrotd's provider agent has in hand at Intercom (or a hook).
struct ProviderCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "provider",
        abstract: "See the rotations carried out at the provider (Intercom, or a hook).",
        subcommands: [ProviderStatus.self]
    )

    /// `keyrotctl provider status [WS]`.
    struct ProviderStatus: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "status",
            abstract:
                "Jobs in flight, their last error and next try, and the provider's secrets keyrotd does not manage."
        )
        @OptionGroup var global: GlobalOptions
        @Argument(help: "Only this workspace.") var workspace: String?

        func run() async throws {
            let result = try await global.call(
                "ProviderStatus",
                KeyrotAPI.ProviderStatusParameters(workspace: workspace),
                returning: KeyrotAPI.ProviderStatusResult.self
            )
            guard !global.json else { return }
            guard !result.workspaces.isEmpty else {
                print("no workspace has a provider")
                return
            }
            for status in result.workspaces {
                print("\(status.workspace): provider \(status.provider); \(status.problem ?? "no problem")")
                print("  agent last asked for work: \(status.agent_seen_at ?? "never")")
                if status.jobs.isEmpty {
                    print("  no jobs in flight")
                } else {
                    printTable(
                        ["JOB", "KEY", "PROVIDER ID", "URGENT", "ATTEMPTS", "NEXT TRY", "LAST ERROR"],
                        status.jobs.map {
                            [
                                $0.kind, $0.key_id, $0.provider_secret_id ?? "-", $0.urgent ? "yes" : "no",
                                "\($0.attempts)", $0.blocked ? "after reload" : $0.next_attempt_at,
                                $0.last_error ?? "-",
                            ]
                        }
                    )
                }
                if status.listed_at == nil {
                    print("  the provider's secrets have not been listed yet")
                } else if status.unmanaged.isEmpty {
                    print("  no unmanaged secrets at the provider (listed \(status.listed_at!))")
                } else {
                    print("  secrets at the provider that keyrotd does not manage (listed \(status.listed_at!)):")
                    printTable(
                        ["ID", "NAME", "CREATED"],
                        status.unmanaged.map { [$0.id, $0.name, $0.created_at.map { "\($0)" } ?? "-"] }
                    )
                    print("  adopt one with: keyrotctl key import WORKSPACE --provider-id ID --activate < secret")
                }
            }
        }
    }
}
