import Foundation
import KeyrotControl
import KeyrotCore
import KeyrotStore
import Logging

/// Answers `io.keyrotd` calls: checks that the peer may make the call, carries out the intention against the
/// store or the token service, and turns domain errors into the interface's errors.
///
/// - Important: Every change is audited with the peer's uid and pid. Nothing here returns key material: keys are
///   described by ``KeyrotControl/KeyrotAPI/Key``, which has no field for it.
public struct ControlService: VarlinkService {
    public let interface = VarlinkInterfaceFile.keyrotd
    let store: any KeyStore
    let tokens: TokenService
    let clock: any WallClock
    let settings: LiveSettings
    let schedule: ScheduleKeeper
    let events: EventReporter
    let reload: @Sendable () -> String?
    let serviceStatus: ServiceStatus
    let logger: Logger
    let denials: DenialLog
    let revocations: RevocationBacklog
    let providers: ProviderBoard

    /// - Parameter schedule: the deadlines `Status` reports the next rotation from.
    /// - Parameter status: the status line `Status` reports.
    /// - Parameter reload: reads the configuration again; returns nil when it is in force, else why it was not.
    public init(
        store: any KeyStore,
        tokens: TokenService,
        clock: any WallClock,
        settings: LiveSettings,
        schedule: ScheduleKeeper,
        events: EventReporter,
        status: ServiceStatus,
        logger: Logger,
        denials: DenialLog,
        revocations: RevocationBacklog,
        providers: ProviderBoard,
        reload: @escaping @Sendable () -> String?
    ) {
        self.store = store
        self.tokens = tokens
        self.clock = clock
        self.settings = settings
        self.schedule = schedule
        self.events = events
        self.serviceStatus = status
        self.logger = logger
        self.denials = denials
        self.revocations = revocations
        self.providers = providers
        self.reload = reload
    }

    var access: AccessRules { settings.access }

    /// Answers one call. Only `Sign`, `Verify`, `UserHash` and the provider agent's `ProviderWork` and
    /// `ProviderListed` (from memory) can be answered where blocking is not allowed (see
    /// ``VarlinkService``): every other call reads or writes the store.
    public func answer(_ call: KeyrotCall, method: String, from peer: PeerCredentials, mayBlock: Bool) -> VarlinkAnswer
    {
        let request = Request(method: method, peer: peer, now: clock.now(), mayBlock: mayBlock)
        do {
            switch call {
            case .sign(let parameters): return .reply(try sign(parameters, request))
            case .verify(let parameters): return .reply(try verify(parameters, request))
            case .userHash(let parameters): return .reply(try userHash(parameters, request))
            case .providerWork: return .reply(try providerWork(request))
            case .providerListed(let parameters): return .reply(try providerListed(parameters, request))
            default: guard mayBlock else { return .mustBlock }
            }
            return .reply(try answerBlocking(call, request))
        } catch let error as any ControlAnswerable {
            return error.controlAnswer
        } catch {
            logger.error("control call failed", metadata: ["keyrot.method": "\(method)", "keyrot.error": "\(error)"])
            return .error(.internalError("the call failed: \(error)"))
        }
    }

    private func answerBlocking(_ call: KeyrotCall, _ request: Request) throws -> VarlinkReply {
        switch call {
        case .sign(let parameters): try sign(parameters, request)
        case .verify(let parameters): try verify(parameters, request)
        case .userHash(let parameters): try userHash(parameters, request)
        case .rotate(let parameters): try rotate(parameters, request)
        case .flagLeak(let parameters): try flagLeak(parameters, request)
        case .revoke(let parameters): try revoke(parameters, request)
        case .importKey(let parameters): try importKey(parameters, request)
        case .createWorkspace(let parameters): try createWorkspace(parameters, request)
        case .updateWorkspace(let parameters): try updateWorkspace(parameters, request)
        case .listWorkspaces: try listWorkspaces(request)
        case .getWorkspace(let parameters): try getWorkspace(parameters, request)
        case .listKeys(let parameters): try listKeys(parameters, request)
        case .history(let parameters): try history(parameters, request)
        case .verifyAudit(let parameters): try verifyAudit(parameters, request)
        case .status: try status(request)
        case .reload: try reloadConfiguration(request)
        case .providerWork: try providerWork(request)
        case .providerCreated(let parameters): try providerCreated(parameters, request)
        case .providerDeleted(let parameters): try providerDeleted(parameters, request)
        case .providerOrphanDeleted(let parameters): try providerOrphanDeleted(parameters, request)
        case .providerFailed(let parameters): try providerFailed(parameters, request)
        case .providerListed(let parameters): try providerListed(parameters, request)
        case .providerStatus(let parameters): try providerStatus(parameters, request)
        }
    }

    /// One call in flight: what was asked, by whom, when, and whether it may block.
    struct Request {
        let method: String
        let peer: PeerCredentials
        let now: Timestamp
        let mayBlock: Bool

        var actor: AuditActor { AuditActor(uid: Int64(peer.uid), pid: Int64(peer.pid)) }

        /// Fails with ``BlockingRequired`` where blocking is not allowed: the call is asked again where it is.
        func requireBlocking() throws(BlockingRequired) {
            guard mayBlock else { throw BlockingRequired() }
        }
    }

    /// Refuses a change while the store's health check finds it failing (a removed database file, a state
    /// directory gone read-only, a full disk): a change acknowledged now could be lost, and scheduled work waits
    /// for the store too. Reads, signing and verifying go on from memory.
    func requireHealthyStore() throws(StoreError) {
        if let problem = serviceStatus.storeProblem {
            throw .databaseFailed(problem: "the store is unhealthy: \(problem)")
        }
    }

    static func storageFailure(_ problem: String) -> VarlinkError {
        VarlinkError("io.keyrotd.StorageFailure", ["reason": .string(problem)])
    }

    /// Fails unless the peer is an administrator.
    func requireAdministrator(_ request: Request) throws(VarlinkError) {
        let peer = request.peer
        guard access.isAdministrator(uid: peer.uid, groupIDs: peer.groupIDs) else {
            denials.warning("control call denied", peer: peer, metadata: ["keyrot.method": "\(request.method)"])
            throw .permissionDenied(method: request.method, uid: peer.uid)
        }
    }

    /// Fails unless the peer is an administrator or one of the workspace's signers. Administrators (the peer's own
    /// groups are known from its socket) and a signer listed by uid are known without a user lookup; a signer by
    /// group needs one (so it may block).
    func requireSigner(_ request: Request, of workspace: WorkspaceName) throws {
        let peer = request.peer
        if peer.uid == 0 || peer.uid == access.daemonUID { return }
        let signers: [Principal]
        do {
            signers = try tokens.policy(of: workspace, mayBlock: request.mayBlock).signers
        } catch StoreError.refused(.workspaceNotFound(let name)) {
            // Only administrators learn which workspaces exist.
            guard access.isAdministrator(uid: peer.uid, groupIDs: peer.groupIDs) else {
                throw VarlinkError.permissionDenied(method: request.method, uid: peer.uid)
            }
            throw KeyrotError.workspaceNotFound(name)
        }
        if signers.contains(.uid(peer.uid)) || access.isAdministrator(uid: peer.uid, groupIDs: peer.groupIDs) {
            return
        }
        try request.requireBlocking()  // the signers' group names, from the user database
        var signerUIDs: Set<UInt32> = []
        var signerGroupIDs: Set<UInt32> = []
        for signer in signers {
            switch signer {
            case .uid(let uid): signerUIDs.insert(uid)
            case .group(let name): if let gid = UserDatabase.groupID(named: name) { signerGroupIDs.insert(gid) }
            }
        }
        guard
            access.maySign(
                uid: peer.uid,
                groupIDs: peer.groupIDs,
                signerUIDs: signerUIDs,
                signerGroupIDs: signerGroupIDs
            )
        else {
            denials.warning(
                "control call denied",
                peer: peer,
                metadata: ["keyrot.method": "\(request.method)", "keyrot.workspace": "\(workspace)"]
            )
            throw VarlinkError.permissionDenied(method: request.method, uid: peer.uid)
        }
    }

    func workspaceName(_ text: String) throws(VarlinkError) -> WorkspaceName {
        do { return try WorkspaceName(text) } catch {
            throw VarlinkError("io.keyrotd.WorkspaceNotFound", ["workspace": .string(text)])
        }
    }
}
