import Foundation
import KeyrotControl
import KeyrotCore
import KeyrotCrypto
import KeyrotStore
import KeyrotSystemd
import Logging
import NIOConcurrencyHelpers
import NIOPosix
import ServiceLifecycle
import UnixSignals

/// The composition root: resolves state directory, configuration and master key, opens the store, makes the
/// configured workspaces exist, and runs the services until SIGTERM or SIGINT, reloading on SIGHUP.
///
/// A library type, so tests run the whole daemon in-process with a manual clock.
/// - Important: `init` does everything that can fail for a reason an operator must fix, and throws
///   ``DaemonError`` for it; once it returns, the daemon is ready to serve. `READY=1` goes out once the control
///   socket is bound as well.
public final class Daemon: Sendable {
    public let store: any KeyStore
    public let tokens: TokenService
    public let revocations: RevocationBacklog
    /// The provider work of every provider's workspace, for the provider agent.
    public let providers: ProviderBoard
    /// The rotation schedule, kept current by every change the store commits.
    public let schedule: ScheduleKeeper
    /// The threads for work that may block (the database, user lookups, the journal, reading files): never Swift's
    /// cooperative pool. Started with the daemon, shut down when ``run()`` ends (or when the daemon goes).
    public let blockingWork = NIOThreadPool(numberOfThreads: 2)
    public let stateDirectory: String
    /// The control socket's path (for an inherited socket, the path it was bound to, if any).
    public let socketPath: String
    public let settings: LiveSettings
    public let events: EventReporter
    public let status: ServiceStatus
    let options: DaemonOptions
    let endpoint: ControlEndpoint
    let clock: any WallClock
    let logger: Logger
    let wake = WakeSignal()
    /// Signalled once keyrotd serves: the start-up comparison of the audit chain with the journal begins then.
    let servingForAuditCheck = WakeSignal()
    /// One reload at a time (SIGHUP and `Reload` calls may cross).
    private let reloads = NIOLockedValueBox(())
    /// Held for the daemon's life: one keyrotd per state directory.
    private let lock: StateDirectoryLock

    /// The configuration in force.
    public var configuration: DaemonConfiguration { settings.configuration }

    /// The actor recorded for the daemon's own scheduled work: its uid and pid.
    public static var selfActor: AuditActor { AuditActor(uid: Int64(getuid()), pid: Int64(getpid())) }

    public init(options: DaemonOptions, clock: any WallClock, logger: Logger) throws(DaemonError) {
        self.options = options
        self.clock = clock
        self.logger = logger
        let configuration = try Self.loadConfiguration(options)
        let storeLocation: String
        switch configuration.store {
        case .sqlite: storeLocation = Self.databasePath(in: options.resolvedStateDirectory)
        case .postgresql(let url): storeLocation = PostgresStoreOpener.location(of: url)
        }
        events = EventReporter(logger: logger, clock: clock, journal: options.journal, database: storeLocation)
        let status = ServiceStatus()
        self.status = status
        stateDirectory = options.resolvedStateDirectory
        if options.development {
            logger.warning(
                "DEVELOPMENT MODE: the master key is kept in the state directory beside the database; never use --dev in production",
                metadata: ["keyrot.state_dir": "\(stateDirectory)"]
            )
        }
        settings = LiveSettings(
            configuration: configuration,
            access: try Self.accessRules(for: configuration, options: options)
        )
        if let inherited = options.inheritedSocket {
            guard inherited.isListeningUnixStream else {
                throw .inheritedSocket(
                    "file descriptor \(inherited.descriptor) (\"\(inherited.name)\") from the service manager is not a "
                        + "listening AF_UNIX stream socket; check ListenStream= in keyrotd.socket"
                )
            }
            endpoint = .descriptor(inherited.descriptor)
            socketPath = inherited.path ?? "(inherited socket \(inherited.name))"
        } else {
            socketPath = options.resolvedSocketPath
            endpoint = .path(socketPath)
            let limit = MemoryLayout.size(ofValue: sockaddr_un().sun_path) - 1
            guard socketPath.utf8.count <= limit else {
                throw .configuration(
                    file: "(command line)",
                    key: options.socketPath != nil ? "--socket" : "--state-dir",
                    problem: "the control socket path \(socketPath) is \(socketPath.utf8.count) bytes long; a UNIX "
                        + "socket path can have at most \(limit): choose a shorter --socket or --state-dir"
                )
            }
        }
        try Self.makeDirectory(stateDirectory, mode: 0o700)
        try Self.requirePrivateStateDirectory(stateDirectory)
        lock = try StateDirectoryLock(directory: stateDirectory)
        if options.inheritedSocket == nil {
            try Self.makeDirectory((socketPath as NSString).deletingLastPathComponent, mode: 0o755)
        }
        let masterKey = try Self.loadMasterKey(options, stateDirectory: stateDirectory, logger: logger)

        do {
            let willMigrate: @Sendable (String) -> Void = { [logger] file in
                status.migrationStarting()
                logger.notice("applying schema migration", metadata: ["keyrot.migration": "\(file)"])
            }
            switch configuration.store {
            case .sqlite:
                store = try SQLiteKeyStore(
                    path: storeLocation,
                    sealer: MasterKeySealer(masterKey: masterKey),
                    sha3: SHA3.digest(bits:of:),
                    now: clock.now(),
                    willMigrate: willMigrate
                )
            case .postgresql(let url):
                store = try PostgresStoreOpener.open(
                    url: url,
                    password: try Self.postgresPassword(options, stateDirectory: stateDirectory),
                    masterKey: masterKey,
                    now: clock.now(),
                    logger: logger,
                    willMigrate: willMigrate
                )
            }
            if let head = try store.history(limit: 1).last {
                events.noteChainHead(seq: head.seq, hash: head.chainHash)
            }
            try Self.ensureWorkspaces(of: configuration, in: store, at: clock.now(), events: events)
        } catch {
            switch error {
            case .databaseFailed, .refused, .sealingFailed, .databaseUnreachable:
                throw .storage(path: storeLocation, problem: "\(error)")
            default: throw .databaseRefused(error.description)
            }
        }
        tokens = TokenService(store: store, masterKey: masterKey)
        revocations = RevocationBacklog(
            runtimeDirectory: options.runtimeDirectory,
            store: store,
            tokens: tokens,
            events: events,
            status: status,
            wake: wake,
            logger: logger
        )
        schedule = ScheduleKeeper(store: store, clock: clock, wake: wake)
        do {
            providers = ProviderBoard(
                workspaces: try store.providerWorkspaces(),
                events: events,
                status: status,
                clock: clock
            )
        } catch {
            throw .storage(path: storeLocation, problem: error.description)
        }
        store.observeChanges { [providers] change in
            if change.workspace.policy.provider != nil || providers.hasProvider(change.workspace.name) {
                providers.update(change.workspace)
            }
        }
        blockingWork.start()
        logger.info(
            "keyrotd initialized",
            metadata: [
                "keyrot.database": "\(storeLocation)",
                "keyrot.workspaces": "\(configuration.workspaces.count) configured",
            ]
        )
    }

    /// The services the daemon runs, in dependency order: the control socket, then the scheduler.
    /// `READY=1` (and the `started` event) go out once the socket is bound, then `onListening` is called, then the
    /// scheduler makes its first pass (so the status line and the scheduler do not read every workspace at once).
    public func services(onListening: @escaping @Sendable () -> Void = {}) -> [any Service] {
        let serving = WakeSignal()
        let denials = DenialLog(logger: logger) { [clock] in clock.now() }
        let control = ControlService(
            store: store,
            tokens: tokens,
            clock: clock,
            settings: settings,
            schedule: schedule,
            events: events,
            status: status,
            logger: logger,
            denials: denials,
            revocations: revocations,
            providers: providers,
            reload: { [self] in reload() }
        )
        let server = ControlServer(
            endpoint: endpoint,
            service: control,
            info: VarlinkServiceInfo(
                vendor: "keyrotd",
                product: "keyrotd",
                version: ControlService.version,
                url: "file:///usr/share/doc/keyrotd/README.md.gz"
            ),
            limits: configuration.controlLimits,
            pool: blockingWork,
            logger: logger,
            denials: denials,
            onListening: { [self] in
                // A first read of the whole schedule, and a journal entry: not on the cooperative pool.
                try? await blockingWork.runIfActive { [self] in
                    let schedule = scheduleSummary()
                    status.ready(schedule: schedule)
                    events.report(
                        DaemonEvent(
                            .started,
                            "keyrotd \(ControlService.version) started: \(schedule)",
                            actor: Self.selfActor
                        )
                    )
                }
                onListening()
                serving.signal()
                servingForAuditCheck.signal()
            }
        )
        let rotation = RotationService(
            store: store,
            clock: clock,
            actor: Self.selfActor,
            logger: logger,
            wake: wake,
            schedule: schedule,
            revocations: revocations,
            events: events,
            status: status,
            watchdogInterval: options.watchdogInterval,
            startSignal: serving
        )
        return [server, rotation]
    }

    deinit {
        blockingWork.shutdownGracefully { _ in }  // a no-op once run() has shut it down
    }

    /// Runs the control socket and the scheduler until SIGTERM or SIGINT asks for a graceful shutdown; SIGHUP
    /// reloads the configuration.
    public func run() async throws {
        let hangups = await UnixSignalsSequence(trapping: .sighup)  // trapped before READY: a reload never kills
        var services = services().map { ServiceGroupConfiguration.ServiceConfiguration(service: $0) }
        services.append(
            .init(service: ReloadOnHangup(hangups: hangups, pool: blockingWork, reload: { [self] in _ = reload() }))
        )
        if options.development {
            // Stopped before the control socket (the group stops services in reverse order).
            let credentials = (stateDirectory as NSString).appendingPathComponent("credentials")
            try? Self.makeDirectory(credentials, mode: 0o700)
            services.insert(
                .init(
                    service: ProviderAgentChild(
                        executable: ProviderAgentChild.besideThisExecutable,
                        socketPath: socketPath,
                        credentialsDirectory: credentials,
                        settings: settings,
                        logger: logger
                    ),
                    successTerminationBehavior: .ignore,
                    failureTerminationBehavior: .ignore
                ),
                at: 1
            )
        }
        if options.journal != .off {
            let check = StartupAuditCheck(
                store: store,
                events: events,
                logger: logger,
                pool: blockingWork,
                serving: servingForAuditCheck
            )
            services.append(
                .init(service: check, successTerminationBehavior: .ignore, failureTerminationBehavior: .ignore)
            )
        }
        services.append(
            .init(
                service: ShutdownAnnouncer(status: status, events: events, pool: blockingWork),
                successTerminationBehavior: .gracefullyShutdownGroup
            )
        )
        let group = ServiceGroup(
            configuration: ServiceGroupConfiguration(
                services: services,
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger
            )
        )
        try await group.run()
        // Closed before the process exits, not by the thread that last lets go of the daemon: a database still
        // being torn down on another thread when the process exits is memory LeakSanitizer reports as leaked.
        do { try store.close() } catch {
            logger.warning("the database did not close cleanly", metadata: ["keyrot.error": "\(error)"])
        }
        try? await blockingWork.shutdownGracefully()
        logger.info("keyrotd stopped")
    }

    /// Reads the configuration again and puts it in force (`RELOADING=1`, then `READY=1`): new and changed
    /// workspaces are applied, the defaults and the admin group replaced. A configuration that does not parse,
    /// or names a group that does not exist, is rejected as a whole and the one in force stays.
    ///
    /// - Returns: nil when the new configuration is in force, else why it was rejected.
    @discardableResult
    public func reload() -> String? {
        reloads.withLockedValue { _ in reloadNow() }
    }

    private func reloadNow() -> String? {
        status.reloading()
        let rejection: String?
        do throws(DaemonError) {
            let configuration = try Self.loadConfiguration(options)
            guard configuration.store == settings.configuration.store else {
                throw .configuration(
                    file: options.configurationFile ?? DaemonOptions.productionConfigurationFile,
                    key: "[store]",
                    problem: "names another store than the one in use (\(settings.configuration.store)); the store "
                        + "changes only when keyrotd restarts"
                )
            }
            let access = try Self.accessRules(for: configuration, options: options)
            do {
                try Self.ensureWorkspaces(of: configuration, in: store, at: clock.now(), events: events)
            } catch {
                throw .storage(path: store.location, problem: error.description)
            }
            if configuration.controlLimits != settings.configuration.controlLimits {
                logger.notice("[control] settings changed: they take effect when keyrotd restarts")
            }
            settings.replace(configuration: configuration, access: access)
            schedule.replanFully()
            logger.notice(
                "configuration reloaded",
                metadata: ["keyrot.workspaces": "\(configuration.workspaces.count) configured"]
            )
            rejection = nil
        } catch {
            rejection = error.description
            events.report(
                DaemonEvent(
                    .reloadFailed,
                    "configuration reload rejected, the configuration in force stays: \(error)",
                    reason: error.description
                )
            )
        }
        status.reloaded(rejected: rejection)
        return rejection
    }

    /// The schedule in a few words, as the status line shows it.
    func scheduleSummary() -> String {
        let now = clock.now()
        guard let (workspaces, next) = try? schedule.withSchedule({ ($0.workspaceCount, $0.nextRotation()) }) else {
            return "schedule unreadable"
        }
        return ServiceStatus.summary(workspaces: workspaces, next: next, now: now)
    }

    private static func ensureWorkspaces(
        of configuration: DaemonConfiguration,
        in store: any KeyStore,
        at now: Timestamp,
        events: EventReporter
    ) throws(StoreError) {
        for (name, policy) in configuration.workspaces.sorted(by: { $0.key < $1.key }) {
            events.report(
                try store.ensureWorkspace(
                    name,
                    policy: policy,
                    at: now,
                    actor: selfActor,
                    reason: "declared in configuration"
                )
            )
        }
    }

    private static func accessRules(
        for configuration: DaemonConfiguration,
        options: DaemonOptions
    ) throws(DaemonError) -> AccessRules {
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
        var providerUIDs: Set<UInt32> = []
        var providerGroupIDs: Set<UInt32> = []
        for entry in configuration.providers {
            let resolved: UInt32?
            if entry.hasPrefix("group:") {
                resolved = UserDatabase.groupID(named: String(entry.dropFirst("group:".count)))
                if let resolved { providerGroupIDs.insert(resolved) }
            } else {
                let user = String(entry.dropFirst("uid:".count))
                resolved = UInt32(user) ?? UserDatabase.userID(named: user)
                if let resolved { providerUIDs.insert(resolved) }
            }
            guard resolved != nil else {
                throw .configuration(
                    file: options.configurationFile ?? DaemonOptions.productionConfigurationFile,
                    key: "[access] providers",
                    problem: "there is no \(entry.hasPrefix("group:") ? "group" : "user") named in \"\(entry)\""
                )
            }
        }
        return AccessRules(
            daemonUID: getuid(),
            adminGroupID: adminGroupID,
            providerUIDs: providerUIDs,
            providerGroupIDs: providerGroupIDs
        )
    }

    /// The configuration `options` name: their file, the embedded default with `--dev`, the production file if it
    /// exists, or the built-in defaults.
    static func loadConfiguration(_ options: DaemonOptions) throws(DaemonError) -> DaemonConfiguration {
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

    /// Makes the directory (and its parents) if it is missing; an existing one keeps its mode.
    private static func makeDirectory(_ path: String, mode: Int) throws(DaemonError) {
        do {
            try FileManager.default.createDirectory(
                atPath: path,
                withIntermediateDirectories: true,
                attributes: [.posixPermissions: mode]
            )
        } catch {
            throw .stateDirectory(path: path, problem: "cannot create it (\(Self.reason(error)))")
        }
    }

    /// Fails unless ``KeyrotCore/PrivacyRules`` allow the state directory's mode; then makes the database's files
    /// that exist the owner's alone too (a database copied in with a looser mode).
    static func requirePrivateStateDirectory(_ path: String) throws(DaemonError) {
        var status = stat()
        guard stat(path, &status) == 0 else {
            throw .stateDirectory(path: path, problem: String(cString: strerror(errno)))
        }
        try PrivacyRules.require(.stateDirectory, at: path, status)
        let database = databasePath(in: path)
        for file in [database, database + "-wal", database + "-shm"] where stat(file, &status) == 0 {
            if status.st_mode & 0o077 != 0 { chmod(file, 0o600) }
        }
    }

    /// The master key: `--master-key-file`, the dev mode's own (generated on first use, unless `generate` is
    /// false), or the systemd credential.
    static func loadMasterKey(
        _ options: DaemonOptions,
        stateDirectory: String,
        logger: Logger,
        generate: Bool = true
    ) throws(DaemonError) -> MasterKey {
        if let file = options.masterKeyFile {
            return try MasterKeyFile.load(path: file)
        }
        if options.development {
            let file = developmentMasterKeyFile(in: stateDirectory)
            if FileManager.default.fileExists(atPath: file) || !generate { return try MasterKeyFile.load(path: file) }
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
        return try MasterKeyFile.load(path: file, kind: .credential)
    }

    /// The PostgreSQL role's password: the credential `postgres-password` (in `$CREDENTIALS_DIRECTORY`, or with
    /// `--dev` in `<state-dir>/credentials/`), without its final newline; nil when there is none.
    static func postgresPassword(
        _ options: DaemonOptions,
        stateDirectory: String
    ) throws(StoreError) -> String? {
        let directory =
            options.environment["CREDENTIALS_DIRECTORY"]
            ?? (options.development ? (stateDirectory as NSString).appendingPathComponent("credentials") : nil)
        guard let directory else { return nil }
        let file = directory + "/" + StoreSettings.passwordCredential
        guard FileManager.default.fileExists(atPath: file) else { return nil }
        guard let data = FileManager.default.contents(atPath: file), let text = String(data: data, encoding: .utf8)
        else { throw .databaseFailed(problem: "cannot read the credential \(file)") }
        return text.hasSuffix("\n") ? String(text.dropLast()) : text
    }

    /// The database in a state directory.
    static func databasePath(in stateDirectory: String) -> String {
        stateDirectory + "/keyrotd.db"
    }

    /// Where `--dev` keeps its master key.
    static func developmentMasterKeyFile(in stateDirectory: String) -> String {
        stateDirectory + "/master.key"
    }

    static func reason(_ error: any Error) -> String {
        (error as NSError).localizedFailureReason ?? (error as NSError).localizedDescription
    }
}
