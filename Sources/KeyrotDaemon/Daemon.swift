import Foundation
import KeyrotControl
import KeyrotCore
import KeyrotCrypto
import KeyrotStore
import Logging
import ServiceLifecycle
import UnixSignals

/// The composition root: resolves state directory, configuration and master key, opens the store, makes the
/// configured workspaces exist, and runs the services until SIGTERM or SIGINT.
///
/// A library type, so tests run the whole daemon in-process with a manual clock.
/// - Important: `init` does everything that can fail for a reason an operator must fix, and throws
///   ``DaemonError`` for it; once it returns, the daemon is ready.
public final class Daemon: Sendable {
    public let store: KeyStore
    public let tokens: TokenService
    public let configuration: DaemonConfiguration
    public let stateDirectory: String
    public let socketPath: String
    let access: AccessRules
    let clock: any WallClock
    let logger: Logger
    let wake = WakeSignal()

    /// The actor recorded for the daemon's own scheduled work: its uid and pid.
    public static var selfActor: AuditActor { AuditActor(uid: Int64(getuid()), pid: Int64(getpid())) }

    public init(options: DaemonOptions, clock: any WallClock, logger: Logger) throws(DaemonError) {
        self.clock = clock
        self.logger = logger
        stateDirectory = options.resolvedStateDirectory
        socketPath = options.resolvedSocketPath
        if options.development {
            logger.warning(
                "DEVELOPMENT MODE: the master key is kept in the state directory beside the database; never use --dev in production",
                metadata: ["keyrot.state_dir": "\(stateDirectory)"]
            )
        }
        configuration = try Self.loadConfiguration(options)
        var adminGroupID: UInt32?
        if let group = configuration.adminGroup {
            guard let gid = UserDatabase.groupID(named: group) else {
                throw .configuration(
                    file: options.configurationFile ?? DaemonOptions.productionConfigurationFile,
                    key: "[access] admin_group",
                    problem: "there is no group \"\(group)\""
                )
            }
            adminGroupID = gid
        }
        access = AccessRules(daemonUID: getuid(), adminGroupID: adminGroupID)
        try Self.makeStateDirectory(stateDirectory)
        let socketDirectory = (socketPath as NSString).deletingLastPathComponent
        do {
            try FileManager.default.createDirectory(
                atPath: socketDirectory,
                withIntermediateDirectories: true,
                attributes: [.posixPermissions: 0o755]
            )
        } catch {
            throw .stateDirectory(path: socketDirectory, problem: "cannot create it (\(Self.reason(error)))")
        }
        let masterKey = try Self.loadMasterKey(options, stateDirectory: stateDirectory, logger: logger)

        let databasePath = stateDirectory + "/keyrotd.db"
        do {
            store = try KeyStore(
                path: databasePath,
                sealer: MasterKeySealer(masterKey: masterKey),
                sha3: { bits, input in SHA3.digest(bits: bits, of: input) },
                now: clock.now()
            )
            for (name, policy) in configuration.workspaces.sorted(by: { $0.key < $1.key }) {
                for entry in try store.ensureWorkspace(
                    name,
                    policy: policy,
                    at: clock.now(),
                    actor: Self.selfActor,
                    reason: "declared in configuration"
                ) {
                    logger.notice("\(entry.event.rawValue)", metadata: entry.logMetadata)
                }
            }
        } catch let error as StoreError {
            throw .databaseRefused(error.description)
        } catch {
            throw .storage(path: databasePath, problem: "\(error)")
        }
        tokens = TokenService(store: store, masterKey: masterKey)
        logger.info(
            "keyrotd ready",
            metadata: [
                "keyrot.database": "\(databasePath)",
                "keyrot.workspaces": "\(configuration.workspaces.count) configured",
            ]
        )
    }

    /// The services the daemon runs, in dependency order: the control socket, then the scheduler.
    public func services(onListening: @escaping @Sendable () -> Void = {}) -> [any Service] {
        let control = ControlService(
            store: store,
            tokens: tokens,
            clock: clock,
            access: access,
            defaults: configuration.defaults,
            wake: wake,
            logger: logger
        )
        let server = ControlServer(
            endpoint: .path(socketPath),
            service: control,
            info: VarlinkServiceInfo(
                vendor: "keyrotd",
                product: "keyrotd",
                version: ControlService.version,
                url: "https://github.com/keyrotd/keyrotd"
            ),
            limits: configuration.controlLimits,
            logger: logger,
            onListening: onListening
        )
        let rotation = RotationService(store: store, clock: clock, actor: Self.selfActor, logger: logger, wake: wake)
        return [server, rotation]
    }

    /// Runs the control socket and the scheduler until SIGTERM or SIGINT asks for a graceful shutdown.
    public func run() async throws {
        let group = ServiceGroup(
            configuration: ServiceGroupConfiguration(
                services: services().map { .init(service: $0) },
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger
            )
        )
        try await group.run()
        logger.info("keyrotd stopped")
    }

    private static func loadConfiguration(_ options: DaemonOptions) throws(DaemonError) -> DaemonConfiguration {
        let file: String
        if let chosen = options.configurationFile {
            file = chosen
        } else if options.development {
            return try DaemonConfiguration(
                toml: DaemonConfiguration.developmentDefault,
                file: "(embedded --dev default)"
            )
        } else if FileManager.default.fileExists(atPath: DaemonOptions.productionConfigurationFile) {
            file = DaemonOptions.productionConfigurationFile
        } else {
            return DaemonConfiguration()
        }
        let text: String
        do { text = try String(contentsOfFile: file, encoding: .utf8) } catch {
            throw .configuration(file: file, key: nil, problem: "cannot read it (\(Self.reason(error)))")
        }
        return try DaemonConfiguration(toml: text, file: file)
    }

    private static func makeStateDirectory(_ path: String) throws(DaemonError) {
        do {
            try FileManager.default.createDirectory(
                atPath: path,
                withIntermediateDirectories: true,
                attributes: [.posixPermissions: 0o700]
            )
        } catch {
            throw .stateDirectory(path: path, problem: "cannot create it (\(Self.reason(error)))")
        }
    }

    private static func loadMasterKey(
        _ options: DaemonOptions,
        stateDirectory: String,
        logger: Logger
    ) throws(DaemonError) -> MasterKey {
        if let file = options.masterKeyFile {
            return try MasterKeyFile.load(path: file)
        }
        if options.development {
            let file = stateDirectory + "/master.key"
            if FileManager.default.fileExists(atPath: file) { return try MasterKeyFile.load(path: file) }
            let key: MasterKey
            do { key = try MasterKey.generate() } catch {
                throw .masterKeyInvalid(path: file, problem: "cannot generate one (\(error))")
            }
            try MasterKeyFile.create(path: file, key: key)
            logger.warning("generated a development master key", metadata: ["keyrot.master_key_file": "\(file)"])
            return key
        }
        guard let credentials = options.environment["CREDENTIALS_DIRECTORY"] else {
            throw .masterKeyMissing(
                "no master key: $CREDENTIALS_DIRECTORY is not set, so the systemd credential '\(DaemonOptions.credentialName)' "
                    + "is missing (LoadCredential=\(DaemonOptions.credentialName):/etc/keyrotd/master-key), "
                    + "and no --master-key-file was given; for a local trial run keyrotd --dev"
            )
        }
        let file = credentials + "/" + DaemonOptions.credentialName
        guard FileManager.default.fileExists(atPath: file) else {
            throw .masterKeyMissing(
                "no master key: the systemd credential '\(DaemonOptions.credentialName)' is missing from "
                    + "$CREDENTIALS_DIRECTORY (\(credentials)); add LoadCredential=\(DaemonOptions.credentialName):PATH "
                    + "to the unit, or pass --master-key-file"
            )
        }
        return try MasterKeyFile.load(path: file)
    }

    private static func reason(_ error: any Error) -> String {
        (error as NSError).localizedFailureReason ?? (error as NSError).localizedDescription
    }
}
