import ArgumentParser
import KeyrotControl

struct Status: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Show the daemon's state.")
    @OptionGroup var global: GlobalOptions

    func run() async throws {
        let result = try await global.call("Status", KeyrotAPI.Empty(), returning: KeyrotAPI.StatusResult.self)
        guard !global.json else { return }
        let next = result.next_rotation_workspace.map { "\($0) at \(result.next_rotation_at ?? "?")" } ?? "-"
        printTable(
            ["STATUS", "VALUE"],
            [
                ["version", result.version], ["database", result.database], ["workspaces", "\(result.workspaces)"],
                ["next rotation", next], ["status", result.status],
            ]
        )
    }
}

struct Reload: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Make the daemon read its configuration file again; fails if the file is rejected.",
        discussion: "Like SIGHUP, but waits for the outcome: `ExecReload=` in keyrotd.service uses it."
    )
    @OptionGroup var global: GlobalOptions

    func run() async throws {
        _ = try await global.call("Reload", KeyrotAPI.Empty(), returning: KeyrotAPI.Empty.self)
        if !global.json { print("configuration reloaded") }
    }
}

struct History: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Show the rotation history (the audit log).")
    @OptionGroup var global: GlobalOptions
    @Argument(help: "Only this workspace.") var workspace: String?
    @Option(help: "At most this many entries, newest kept.") var limit: Int = 50

    func run() async throws {
        let result = try await global.call(
            "History",
            KeyrotAPI.HistoryParameters(workspace: workspace, limit: limit),
            returning: KeyrotAPI.EntriesResult.self
        )
        if !global.json { showEntries(result.entries) }
    }
}

struct AuditCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit",
        abstract: "Check the audit log.",
        subcommands: [VerifyChain.self]
    )

    struct VerifyChain: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "verify",
            abstract: "Recompute the audit hash chain: exit 0 if intact, 1 if not.",
            discussion: """
                The chain proves that no row between two others was changed, removed or inserted; it cannot show \
                rows removed from its end, or a database replaced by an older copy. --journal also checks the \
                audit hashes keyrotd sent to the journal (KEYROTD_AUDIT_HASH): each must be in the chain, in \
                order, and the chain's head must not be behind the newest.
                """
        )
        @OptionGroup var global: GlobalOptions
        @Flag(help: "Also compare the chain with the audit hashes in the journal.") var journal = false

        func run() async throws {
            let result = try await global.call(
                "VerifyAudit",
                KeyrotAPI.VerifyAuditParameters(journal: journal ? true : nil),
                returning: KeyrotAPI.VerifyAuditResult.self
            )
            if !global.json {
                if result.breaks.isEmpty {
                    print("chain intact: \(result.entries) entries, last hash \(result.last_hash ?? "-")")
                } else {
                    let breaks = result.breaks.map(String.init).joined(separator: ", ")
                    print("chain BROKEN at entries \(breaks) of \(result.entries)")
                }
                if let journal = result.journal {
                    if journal.hashes == 0 {
                        print(
                            "journal: no audit hashes of this database (none sent yet, or keyrotd cannot read the journal)"
                        )
                    } else if journal.findings.isEmpty {
                        print(
                            "journal: \(journal.hashes) audit hashes, all in the chain in order; the head is not behind"
                        )
                    } else {
                        print("journal: \(journal.hashes) audit hashes; MISMATCH:")
                        for finding in journal.findings { print("  \(finding)") }
                    }
                }
            }
            if !result.intact { throw ExitCode(1) }
        }
    }
}

struct Plan: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Show the next scheduled rotation of each workspace.")
    @OptionGroup var global: GlobalOptions

    func run() async throws {
        let result = try await global.call(
            "ListWorkspaces",
            KeyrotAPI.Empty(),
            returning: KeyrotAPI.WorkspacesResult.self
        )
        guard !global.json else { return }
        let rows = result.workspaces.sorted { ($0.next_rotation_at ?? "") < ($1.next_rotation_at ?? "") }
        printTable(
            ["NEXT ROTATION", "WORKSPACE", "ACTIVE KEY", "ROTATE EVERY"],
            rows.map { [$0.next_rotation_at ?? "-", $0.name, $0.active_key_id ?? "-", $0.rotate_every] }
        )
    }
}
