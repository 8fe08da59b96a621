import ArgumentParser
import Foundation
import KeyrotControl

struct Keys: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List a workspace's keys (metadata only).")
    @OptionGroup var global: GlobalOptions
    @Argument var workspace: String

    func run() async throws {
        let result = try await global.call(
            "ListKeys",
            KeyrotAPI.WorkspaceParameters(workspace: workspace),
            returning: KeyrotAPI.KeysResult.self
        )
        if !global.json { showKeys(result.keys) }
    }
}

struct Rotate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Rotate a workspace's key now.",
        discussion: "With --emergency the old key is revoked at once: tokens it signed fail from then on."
    )
    @OptionGroup var global: GlobalOptions
    @Argument var workspace: String
    @Flag(help: "Revoke the old key at once instead of giving it a grace window.") var emergency = false
    @Option(help: "Why, for the audit log.") var reason: String?

    func validate() throws {
        if emergency, reason == nil { throw ValidationError("--emergency needs --reason, for the audit log") }
    }

    func run() async throws {
        let result = try await global.call(
            "Rotate",
            KeyrotAPI.RotateParameters(workspace: workspace, emergency: emergency, reason: reason),
            returning: KeyrotAPI.EntriesResult.self
        )
        if !global.json { showEntries(result.entries) }
    }
}

struct FlagLeak: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "flag-leak",
        abstract: "Flag a key as leaked: revoked at once, replaced if it was active."
    )
    @OptionGroup var global: GlobalOptions
    @Argument var workspace: String
    @Option(name: .customLong("key"), help: "The leaked key's id.") var keyID: String
    @Option(help: "What happened, for the audit log.") var reason: String

    func run() async throws {
        let result = try await global.call(
            "FlagLeak",
            KeyrotAPI.FlagLeakParameters(workspace: workspace, key_id: keyID, reason: reason),
            returning: KeyrotAPI.RevocationResult.self
        )
        try failIfNotDurable(result, keyID: keyID)
        if !global.json { showEntries(result.entries) }
    }
}

struct Revoke: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Revoke a key: it never verifies again.")
    @OptionGroup var global: GlobalOptions
    @Argument var workspace: String
    @Option(name: .customLong("key"), help: "The key's id.") var keyID: String
    @Option(help: "Why, for the audit log.") var reason: String?

    func run() async throws {
        let result = try await global.call(
            "Revoke",
            KeyrotAPI.RevokeParameters(workspace: workspace, key_id: keyID, reason: reason),
            returning: KeyrotAPI.RevocationResult.self
        )
        try failIfNotDurable(result, keyID: keyID)
        if !global.json { showEntries(result.entries) }
    }
}

/// Ends a revocation that is in force in keyrotd's memory but not yet stored with exit 75 (EX_TEMPFAIL) and says
/// so: the key is refused from now on, and keyrotd keeps trying to store the change.
func failIfNotDurable(_ result: KeyrotAPI.RevocationResult, keyID: String) throws {
    guard let problem = result.not_durable else { return }
    throw fail(
        "key \(keyID) is refused from now on (its tokens fail, it signs nothing), but the revocation is NOT YET "
            + "DURABLE: keyrotd could not store it (\(problem)); it keeps trying, and systemctl status keyrotd "
            + "says so until it is stored",
        code: 75
    )
}

struct KeyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "key",
        abstract: "Import keys issued elsewhere.",
        subcommands: [Import.self]
    )

    struct Import: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Import a secret from standard input (one trailing newline is stripped).",
            discussion: "The secret is read from standard input only, never from the command line: e.g. "
                + "keyrotctl key import acme --activate < intercom-secret.txt"
        )
        @OptionGroup var global: GlobalOptions
        @Argument var workspace: String
        @Option(name: .customLong("kid"), help: "The key's id (default: <workspace>.<generation>).") var keyID: String?
        @Flag(help: "Make it the active key now (the old one goes to grace).") var activate = false
        @Option(
            help: "The secret's id at the workspace's provider (Intercom lists it), so a rotation deletes it there too."
        )
        var providerID: String?

        func run() async throws {
            var secret = FileHandle.standardInput.readDataToEndOfFile()
            defer { secret.resetBytes(in: 0..<secret.count) }
            if secret.last == UInt8(ascii: "\n") {
                secret.removeLast()
                if secret.last == UInt8(ascii: "\r") { secret.removeLast() }  // a CRLF line ending
            }
            guard secret.count >= 32 else {
                throw fail("the secret on standard input has \(secret.count) bytes; at least 32 are needed", code: 64)
            }
            let result = try await global.call(
                "ImportKey",
                KeyrotAPI.ImportKeyParameters(
                    workspace: workspace,
                    secret: secret.base64EncodedString(),
                    key_id: keyID,
                    activate: activate,
                    provider_id: providerID
                ),
                returning: KeyrotAPI.ImportKeyResult.self
            )
            if !global.json { showKeys([result.key]) }
        }
    }
}

func showEntries(_ entries: [KeyrotAPI.AuditEntry]) {
    printTable(
        ["SEQ", "AT", "WORKSPACE", "EVENT", "KEY", "PREVIOUS", "REASON"],
        entries.map {
            [
                "\($0.seq)", $0.at, $0.workspace ?? "-", $0.event, $0.key_id ?? "-", $0.previous_key_id ?? "-",
                $0.reason ?? "-",
            ]
        }
    )
}
