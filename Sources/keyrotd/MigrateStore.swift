import ArgumentParser
import Foundation
import KeyrotCrypto
import KeyrotDaemon
import Logging

/// `keyrotd migrate-store --to URL`: copies a stopped keyrotd's SQLite database into an empty PostgreSQL database
/// (``KeyrotDaemon/StoreMigration``).
struct MigrateStore: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate-store",
        abstract: "Copy the SQLite database into an empty PostgreSQL database (keyrotd must be stopped).",
        discussion: """
            Every workspace, key (still sealed under the same master key), provider job and audit row is copied in \
            one transaction, which commits only if the audit chain verifies in PostgreSQL. The SQLite database is \
            only read. The role's password, if it has one, is the credential 'postgres-password'. Afterwards set \
            [store] backend = "postgresql" and url on every host, with the same master key.
            """
    )

    @OptionGroup var state: StateOptions

    @Option(help: "The PostgreSQL database to copy into: postgresql://USER@HOST:PORT/DATABASE.")
    var to: String

    func run() throws {
        let options = state.prepareOfflineCommand()
        let outcome: StoreMigration.Outcome
        do {
            outcome = try StoreMigration.run(
                options: options,
                to: to,
                clock: SystemWallClock(),
                logger: Logger(label: "keyrotd")
            )
        } catch {
            FileHandle.standardError.write(Data("keyrotd migrate-store: \(error)\n".utf8))
            throw ExitCode(error.exitCode)
        }
        print(
            """
            copied \(outcome.workspaces) workspaces, \(outcome.keys) keys and \(outcome.auditRows) audit rows; the \
            audit chain verifies in PostgreSQL
            next: set [store] backend = "postgresql" and url = "\(to)" on every host, with this master key
            """
        )
    }
}
