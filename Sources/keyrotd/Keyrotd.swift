import ArgumentParser
import Foundation
import KeyrotCore
import KeyrotDaemon
import KeyrotSystemd
import Logging

/// The `keyrotd` command line: the daemon itself (the default command, ``Serve``) and ``Rekey``.
@main
struct Keyrotd: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keyrotd",
        abstract: "Rotates per-workspace JWT signing secrets on a schedule, keeping overlapping keys in SQLite.",
        discussion: """
            Production: run under systemd (systemd/keyrotd.service and keyrotd.socket): Type=notify with a \
            watchdog, socket activation, SIGHUP (systemctl reload) re-reads the configuration, and events go to \
            the journal with fixed MESSAGE_IDs. The master key comes from the credential 'master-key' \
            ($CREDENTIALS_DIRECTORY/master-key) or --master-key-file.

            Trial: keyrotd --dev keeps everything, a generated master key included, in ./keyrotd-dev.

            Configuration: keyrotd.toml(5). Exit codes: 0 stopped as asked (SIGTERM or SIGINT, after the transaction \
            in flight); 1 failed while running; 64 usage; 73 the state directory cannot be made or used; 74 the \
            database cannot be written; 75 another keyrotd holds the state directory; 78 a configuration, master \
            key, database or socket problem that needs a person (the unit does not restart it: \
            RestartPreventExitStatus=78).
            """,
        version: KeyrotVersion.current,
        subcommands: [Serve.self, Rekey.self, MigrateStore.self],
        defaultSubcommand: Serve.self
    )
}

/// The flags that say where a keyrotd's state and master key are, shared by the daemon, `rekey` and `migrate-store`.
struct StateOptions: ParsableArguments {
    @Flag(help: "Development mode: local state directory, generated master key, not for production.")
    var dev = false

    @Option(help: "State directory (default: ./keyrotd-dev with --dev, else $STATE_DIRECTORY or /var/lib/keyrotd).")
    var stateDir: String?

    @Option(help: "File holding the 32-byte master key (raw, or 64 hex digits).")
    var masterKeyFile: String?

    @Option(help: "Log level: trace, debug, info, notice, warning, error or critical.")
    var logLevel: Logger.Level = .info
}

extension Keyrotd {
    /// Says why start-up failed on standard error (the journal, under systemd) and in `systemctl status`.
    static func failStart(_ problem: String) {
        FileHandle.standardError.write(Data("keyrotd: \(problem)\n".utf8))
        SystemdNotifier().send(.status("failed to start: \(problem)"))
    }
}

extension Logger.Level: @retroactive ExpressibleByArgument {}
