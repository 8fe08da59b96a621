import ArgumentParser
import Foundation
import KeyrotCrypto
import KeyrotDaemon
import KeyrotSystemd
import Logging

/// `keyrotd` itself: parses flags, sets up logging, runs ``KeyrotDaemon/Daemon``, and turns its start-up errors
/// into a one-line message and a sysexits code.
struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run the daemon (the default: keyrotd --dev is keyrotd serve --dev)."
    )

    @OptionGroup var state: StateOptions

    @Option(help: "TOML configuration file (default: embedded with --dev, else /etc/keyrotd/keyrotd.toml if present).")
    var config: String?

    @Option(
        help:
            "Control socket (default: control.sock in the state directory with --dev, else in $RUNTIME_DIRECTORY or /run/keyrotd)."
    )
    var socket: String?

    func run() async throws {
        if !SecretProcess.harden() {
            FileHandle.standardError.write(Data("keyrotd: warning: cannot make the process non-dumpable\n".utf8))
        }
        let level = state.logLevel
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
                development: state.dev,
                stateDirectory: state.stateDir,
                configurationFile: config,
                masterKeyFile: state.masterKeyFile,
                socketPath: socket,
                inheritedSocket: inherited.first { $0.name == "control" } ?? inherited.first,
                watchdogInterval: SystemdWatchdog.pingInterval(),
                journal: logsToJournal ? .insteadOfLog : .alongsideLog
            )
            daemon = try Daemon(options: options, clock: SystemWallClock(), logger: logger)
        } catch let error as DaemonError {
            Keyrotd.failStart("\(error)")
            throw ExitCode(error.exitCode)
        } catch {
            Keyrotd.failStart("\(error)")
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
