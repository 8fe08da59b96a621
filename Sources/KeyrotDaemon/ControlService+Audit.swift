import KeyrotControl
import KeyrotCore

extension ControlService {
    /// keyrotd's version, as `GetInfo` and `Status` report it.
    public static let version = KeyrotVersion.current

    func history(_ parameters: KeyrotAPI.HistoryParameters, _ request: Request) throws -> VarlinkReply {
        try requireAdministrator(request)
        let workspace = try parameters.workspace.map { text throws(VarlinkError) in try workspaceName(text) }
        let limit = min(max(parameters.limit ?? 100, 1), 10_000)
        let entries = try store.history(of: workspace, limit: limit)
        return .parameters(KeyrotAPI.EntriesResult(entries: entries.map(KeyrotAPI.AuditEntry.init)))
    }

    func verifyAudit(_ parameters: KeyrotAPI.VerifyAuditParameters, _ request: Request) throws -> VarlinkReply {
        try requireAdministrator(request)
        let breaks = try store.auditChainBreaks()
        let last = try store.history(limit: 1).last
        var journal: KeyrotAPI.JournalAudit?
        if parameters.journal == true {
            let comparison = try JournalAuditComparison.compare(store)
            journal = KeyrotAPI.JournalAudit(
                hashes: comparison.hashes,
                findings: comparison.findings.map(\.description)
            )
        }
        return .parameters(
            KeyrotAPI.VerifyAuditResult(
                intact: breaks.isEmpty && journal?.findings.isEmpty != false,
                entries: Int(last?.seq ?? 0),
                breaks: breaks,
                last_hash: last?.chainHash,
                journal: journal
            )
        )
    }

    func status(_ request: Request) throws -> VarlinkReply {
        try requireAdministrator(request)
        let (workspaces, next) = try schedule.withSchedule { ($0.workspaceCount, $0.nextRotation()) }
        return .parameters(
            KeyrotAPI.StatusResult(
                version: Self.version,
                database: store.location,
                workspaces: workspaces,
                next_rotation_workspace: next?.workspace.rawValue,
                next_rotation_at: next?.at.iso8601,
                status: serviceStatus.line
            )
        )
    }

    func reloadConfiguration(_ request: Request) throws -> VarlinkReply {
        try requireAdministrator(request)
        if let rejection = reload() {
            throw VarlinkError("io.keyrotd.ConfigurationRejected", ["reason": .string(rejection)])
        }
        return .parameters(KeyrotAPI.Empty())
    }
}
