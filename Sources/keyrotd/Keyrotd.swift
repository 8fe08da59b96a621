import ArgumentParser
import Foundation
import KeyrotDaemon
import KeyrotSystemd
import Logging

/// The `keyrotd` command line: parses flags, sets up logging, runs ``KeyrotDaemon/Daemon``, and turns its
/// start-up errors into a one-line message and a sysexits code.
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
            """
    )

    @Flag(help: "Development mode: local state directory, generated master key, not for production.")
    var dev = false

    @Option(help: "State directory (default: ./keyrotd-dev with --dev, else $STATE_DIRECTORY or /var/lib/keyrotd).")
    var stateDir: String?

    @Option(help: "TOML configuration file (default: embedded with --dev, else /etc/keyrotd/keyrotd.toml if present).")
    var config: String?

    @Option(help: "File holding the 32-byte master key (raw, or 64 hex digits).")
    var masterKeyFile: String?

    @Option(
        help:
            "Control socket (default: control.sock in the state directory with --dev, else in $RUNTIME_DIRECTORY or /run/keyrotd)."
    )
    var socket: String?

    @Option(help: "Log level: trace, debug, info, notice, warning, error or critical.")
    var logLevel: Logger.Level = .info

    func run() async throws {
        let level = logLevel
        // Under systemd with StandardError=journal, log lines go to the journal as structured entries.
        let logsToJournal = JournalStream.standardErrorIsJournal(environment: ProcessInfo.processInfo.environment)
        LoggingSystem.bootstrap { label in
            if logsToJournal {
                var handler = JournalLogHandler(
                    label: label,
                    identifier: "keyrotd",
                    renamingPrefix: ("keyrot.", "KEYROTD_")
                )
                handler.logLevel = level
                return handler
            }
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let logger = Logger(label: "keyrotd")
        let daemon: Daemon
        do {
            let inherited = try ListenedSocket.takeAll()
            if inherited.count > 1 {
                logger.warning(
                    "the service manager passed more than one socket; serving the one named control, or the first",
                    metadata: ["keyrot.sockets": "\(inherited.map(\.name))"]
                )
            }
            let options = DaemonOptions(
                development: dev,
                stateDirectory: stateDir,
                configurationFile: config,
                masterKeyFile: masterKeyFile,
                socketPath: socket,
                inheritedSocket: inherited.first { $0.name == "control" } ?? inherited.first,
                watchdogInterval: SystemdWatchdog.pingInterval(),
                journal: logsToJournal ? .insteadOfLog : .alongsideLog
            )
            daemon = try Daemon(options: options, clock: SystemWallClock(), logger: logger)
        } catch let error as DaemonError {
            Self.failStart("\(error)")
            throw ExitCode(error.exitCode)
        } catch {
            Self.failStart("\(error)")
            throw ExitCode(78)
        }
        do {
            try await daemon.run()
        } catch {
            FileHandle.standardError.write(Data("keyrotd: \(error)\n".utf8))
            throw ExitCode(1)
        }
    }
}

extension Keyrotd {
    /// Says why start-up failed on standard error (the journal, under systemd) and in `systemctl status`.
    static func failStart(_ problem: String) {
        FileHandle.standardError.write(Data("keyrotd: \(problem)\n".utf8))
        SystemdNotifier().send(.status("failed to start: \(problem)"))
    }
}

extension Logger.Level: @retroactive ExpressibleByArgument {}
