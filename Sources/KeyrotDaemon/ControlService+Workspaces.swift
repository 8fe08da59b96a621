import KeyrotControl
import KeyrotCore

extension ControlService {
    func createWorkspace(_ parameters: KeyrotAPI.CreateWorkspaceParameters, _ request: Request) throws -> VarlinkReply {
        try requireAdministrator(request)
        try requireHealthyStore()
        let name = try WorkspaceName(parameters.name)
        let policy = try settings.defaults.applying(parameters.policy ?? KeyrotAPI.PolicyChange()).withoutProvider
        let entries = try store.createWorkspace(name, policy: policy, at: request.now, actor: request.actor)
        events.report(entries)
        return .parameters(
            KeyrotAPI.WorkspaceResult(
                workspace: try describe(name, at: request.now),
                entries: entries.map(KeyrotAPI.AuditEntry.init)
            )
        )
    }

    func updateWorkspace(_ parameters: KeyrotAPI.UpdateWorkspaceParameters, _ request: Request) throws -> VarlinkReply {
        try requireAdministrator(request)
        try requireHealthyStore()
        let name = try workspaceName(parameters.name)
        let policy = try store.policy(of: name).applying(parameters.policy)
        let entries = try store.updateWorkspace(name, policy: policy, at: request.now, actor: request.actor)
        events.report(entries)
        return .parameters(
            KeyrotAPI.WorkspaceResult(
                workspace: try describe(name, at: request.now),
                entries: entries.map(KeyrotAPI.AuditEntry.init)
            )
        )
    }

    func listWorkspaces(_ request: Request) throws -> VarlinkReply {
        try requireAdministrator(request)
        let names = try store.scheduleSnapshot().policies.keys.sorted()
        return .parameters(KeyrotAPI.WorkspacesResult(workspaces: try names.map { try describe($0, at: request.now) }))
    }

    func getWorkspace(_ parameters: KeyrotAPI.NameParameters, _ request: Request) throws -> VarlinkReply {
        try requireAdministrator(request)
        let name = try workspaceName(parameters.name)
        let ring = try store.keyRing(of: name)
        return .parameters(
            KeyrotAPI.GetWorkspaceResult(
                workspace: try describe(name, at: request.now),
                keys: ring.keys.reversed().map { KeyrotAPI.Key($0, at: request.now) }
            )
        )
    }

    private func describe(_ name: WorkspaceName, at now: Timestamp) throws -> KeyrotAPI.Workspace {
        KeyrotAPI.Workspace(
            name: name,
            policy: try store.policy(of: name),
            ring: try store.keyRing(of: name),
            at: now
        )
    }
}
