import Foundation
import KeyrotSystemd

/// How `keyrotd` was asked to run: its flags and the environment systemd gives it.
public struct DaemonOptions: Sendable {
    /// `--dev`: local state directory, a generated master key kept beside the database, no systemd needed.
    public var development: Bool
    /// `--state-dir`; else `./keyrotd-dev` in dev mode, `$STATE_DIRECTORY`, or `/var/lib/keyrotd`.
    public var stateDirectory: String?
    /// `--config`; else the embedded default in dev mode, or `/etc/keyrotd/keyrotd.toml` if it exists.
    public var configurationFile: String?
    /// `--master-key-file`; else `$CREDENTIALS_DIRECTORY/master-key` (or, in dev mode, one in the state directory).
    public var masterKeyFile: String?
    /// `--socket`; else `control.sock` in the state directory in dev mode, else in `$RUNTIME_DIRECTORY` or
    /// `/run/keyrotd`.
    public var socketPath: String?
    /// The process environment (`STATE_DIRECTORY`, `CREDENTIALS_DIRECTORY`, ...).
    public var environment: [String: String]
    /// The listening socket systemd handed over (socket activation); it replaces the socket path.
    public var inheritedSocket: ListenedSocket?
    /// How often to ping systemd's watchdog (half of `WatchdogSec=`); nil without one.
    public var watchdogInterval: Duration?
    /// Whether events also go to the journal, and whether the log already does.
    public var journal: EventReporter.JournalUse

    public static let productionConfigurationFile = "/etc/keyrotd/keyrotd.toml"
    public static let productionStateDirectory = "/var/lib/keyrotd"
    public static let developmentStateDirectory = "keyrotd-dev"
    public static let credentialName = "master-key"

    public init(
        development: Bool = false,
        stateDirectory: String? = nil,
        configurationFile: String? = nil,
        masterKeyFile: String? = nil,
        socketPath: String? = nil,
        environment: [String: String] = ProcessInfo.processInfo.environment,
        inheritedSocket: ListenedSocket? = nil,
        watchdogInterval: Duration? = nil,
        journal: EventReporter.JournalUse = .alongsideLog
    ) {
        self.development = development
        self.stateDirectory = stateDirectory
        self.configurationFile = configurationFile
        self.masterKeyFile = masterKeyFile
        self.socketPath = socketPath
        self.environment = environment
        self.inheritedSocket = inheritedSocket
        self.watchdogInterval = watchdogInterval
        self.journal = journal
    }

    public static let productionRuntimeDirectory = "/run/keyrotd"

    /// The control socket's path.
    var resolvedSocketPath: String {
        if let socketPath { return Self.absolute(socketPath) }
        if development { return resolvedStateDirectory + "/control.sock" }
        let runtime =
            environment["RUNTIME_DIRECTORY"].flatMap { $0.split(separator: ":").first.map(String.init) }
            ?? Self.productionRuntimeDirectory
        return Self.absolute(runtime) + "/control.sock"
    }

    /// The runtime directory systemd made for the service (`$RUNTIME_DIRECTORY`, a tmpfs: `/run/keyrotd`), where
    /// what must outlive a restart but not a reboot is kept; nil without one.
    var runtimeDirectory: String? {
        environment["RUNTIME_DIRECTORY"].flatMap { $0.split(separator: ":").first.map { Self.absolute(String($0)) } }
    }

    private static func absolute(_ path: String) -> String {
        let absolute = path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
        return (absolute as NSString).standardizingPath
    }

    /// The state directory to use, as an absolute path.
    var resolvedStateDirectory: String {
        let chosen =
            stateDirectory
            ?? (development
                ? Self.developmentStateDirectory
                : environment["STATE_DIRECTORY"].flatMap { $0.split(separator: ":").first.map(String.init) }
                    ?? Self.productionStateDirectory)
        return Self.absolute(chosen)
    }
}
