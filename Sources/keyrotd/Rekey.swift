import ArgumentParser
import Foundation
import KeyrotCrypto
import KeyrotDaemon
import Logging

/// `keyrotd rekey`: re-seals a stopped keyrotd's keys under a new master key (``KeyrotDaemon/MasterKeyRotation``).
struct Rekey: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Re-seal every key under a new master key, in one audited transaction (keyrotd must be stopped).",
        discussion: """
            The store is the one the configuration names: the SQLite database in the state directory, or a \
            PostgreSQL database ([store]), which keyrotd must be stopped on every host to re-seal. The current \
            master key comes from --master-key-file, the credential 'master-key' or, with --dev, the state \
            directory. A crash leaves the store under the old key or the new one: run the same command again to \
            finish. Afterwards keyrotd starts only with the new key: install it where keyrotd reads its master key \
            (on every host of a shared store; with --dev this command does that itself), then destroy the old one.
            """
    )

    @OptionGroup var state: StateOptions

    @Option(help: "TOML configuration file (default: embedded with --dev, else /etc/keyrotd/keyrotd.toml if present).")
    var config: String?

    @Option(help: "File holding the new 32-byte master key (make one with: (umask 077 && openssl rand -out FILE 32)).")
    var newMasterKeyFile: String

    func run() throws {
        var options = state.prepareOfflineCommand()
        options.configurationFile = config
        let logger = Logger(label: "keyrotd")
        let outcome: MasterKeyRotation.Outcome
        do {
            outcome = try MasterKeyRotation.run(
                options: options,
                newMasterKeyFile: newMasterKeyFile,
                clock: SystemWallClock(),
                logger: logger
            )
        } catch {
            FileHandle.standardError.write(Data("keyrotd rekey: \(error)\n".utf8))
            throw ExitCode(error.exitCode)
        }
        if let entry = outcome.entry {
            EventReporter(logger: logger, clock: SystemWallClock(), journal: .alongsideLog).report([entry])
        }
        var lines: [String] = []
        if let resealed = outcome.resealed {
            lines.append("re-sealed \(resealed) \(resealed == 1 ? "key" : "keys") under the new master key")
        } else {
            lines.append("the database was sealed under the new master key already")
        }
        if let file = outcome.installedKeyFile {
            lines.append("the new master key is now \(file)")
        } else {
            lines.append(
                "next: install \(newMasterKeyFile) as keyrotd's master key (the file behind "
                    + "LoadCredential=master-key:, or --master-key-file)\(outcome.shared ? " on every host" : "") "
                    + "before starting keyrotd again, then destroy the old key"
            )
        }
        print(lines.joined(separator: "\n"))
    }
}
