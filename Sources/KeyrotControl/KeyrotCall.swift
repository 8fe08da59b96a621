/// The calls of `io.keyrotd` (see `io.keyrotd.varlink`), each with its decoded parameters.
public enum KeyrotCall: VarlinkMethods, Sendable {
    case sign(KeyrotAPI.SignParameters)
    case verify(KeyrotAPI.VerifyParameters)
    case userHash(KeyrotAPI.UserHashParameters)
    case rotate(KeyrotAPI.RotateParameters)
    case flagLeak(KeyrotAPI.FlagLeakParameters)
    case revoke(KeyrotAPI.RevokeParameters)
    case importKey(KeyrotAPI.ImportKeyParameters)
    case createWorkspace(KeyrotAPI.CreateWorkspaceParameters)
    case updateWorkspace(KeyrotAPI.UpdateWorkspaceParameters)
    case listWorkspaces
    case getWorkspace(KeyrotAPI.NameParameters)
    case listKeys(KeyrotAPI.WorkspaceParameters)
    case history(KeyrotAPI.HistoryParameters)
    case verifyAudit(KeyrotAPI.VerifyAuditParameters)
    case status
    case reload
    case providerWork
    case providerCreated(KeyrotAPI.ProviderCreatedParameters)
    case providerDeleted(KeyrotAPI.ProviderDeletedParameters)
    case providerOrphanDeleted(KeyrotAPI.ProviderOrphanDeletedParameters)
    case providerFailed(KeyrotAPI.ProviderFailedParameters)
    case providerListed(KeyrotAPI.ProviderListedParameters)
    case providerStatus(KeyrotAPI.ProviderStatusParameters)

    public init(method name: String, parameters: any Decoder) throws {
        switch name {
        case "Sign": self = .sign(try .init(from: parameters))
        case "Verify": self = .verify(try .init(from: parameters))
        case "UserHash": self = .userHash(try .init(from: parameters))
        case "Rotate": self = .rotate(try .init(from: parameters))
        case "FlagLeak": self = .flagLeak(try .init(from: parameters))
        case "Revoke": self = .revoke(try .init(from: parameters))
        case "ImportKey": self = .importKey(try .init(from: parameters))
        case "CreateWorkspace": self = .createWorkspace(try .init(from: parameters))
        case "UpdateWorkspace": self = .updateWorkspace(try .init(from: parameters))
        case "ListWorkspaces": self = .listWorkspaces
        case "GetWorkspace": self = .getWorkspace(try .init(from: parameters))
        case "ListKeys": self = .listKeys(try .init(from: parameters))
        case "History": self = .history(try .init(from: parameters))
        case "VerifyAudit": self = .verifyAudit(try .init(from: parameters))
        case "Status": self = .status
        case "Reload": self = .reload
        case "ProviderWork": self = .providerWork
        case "ProviderCreated": self = .providerCreated(try .init(from: parameters))
        case "ProviderDeleted": self = .providerDeleted(try .init(from: parameters))
        case "ProviderOrphanDeleted": self = .providerOrphanDeleted(try .init(from: parameters))
        case "ProviderFailed": self = .providerFailed(try .init(from: parameters))
        case "ProviderListed": self = .providerListed(try .init(from: parameters))
        case "ProviderStatus": self = .providerStatus(try .init(from: parameters))
        default: throw VarlinkError.methodNotFound("io.keyrotd.\(name)")
        }
    }
}
