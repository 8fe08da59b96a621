import KeyrotControl
import KeyrotCore
import KeyrotCrypto
import KeyrotStore
import KeyrotSystemd

/// An error a control call can end in, and the answer the caller gets for it: each layer's one error type says how
/// it reads on the wire, here, once; ``ControlService`` asks it, with no chain of casts.
protocol ControlAnswerable: Error {
    var controlAnswer: VarlinkAnswer { get }
}

extension VarlinkError: ControlAnswerable {
    var controlAnswer: VarlinkAnswer { .error(self) }
}

extension BlockingRequired: ControlAnswerable {
    var controlAnswer: VarlinkAnswer { .mustBlock }
}

extension StoreError: ControlAnswerable {
    var controlAnswer: VarlinkAnswer {
        switch self {
        case .refused(let refusal): refusal.controlAnswer
        default: .error(ControlService.storageFailure(description))
        }
    }
}

extension CryptoError: ControlAnswerable {
    var controlAnswer: VarlinkAnswer {
        .error(ControlService.storageFailure("a stored key could not be opened: \(self)"))
    }
}

extension SystemdError: ControlAnswerable {
    var controlAnswer: VarlinkAnswer { .error(.internalError("\(self)")) }
}

extension KeyrotError: ControlAnswerable {
    var controlAnswer: VarlinkAnswer {
        switch self {
        case .workspaceNotFound(let name):
            .error(VarlinkError("io.keyrotd.WorkspaceNotFound", ["workspace": .string(name)]))
        case .workspaceExists(let name):
            .error(VarlinkError("io.keyrotd.WorkspaceExists", ["workspace": .string(name)]))
        case .keyNotFound(let workspace, let keyID):
            .error(VarlinkError("io.keyrotd.KeyNotFound", ["workspace": .string(workspace), "key_id": .string(keyID)]))
        case .keyNotRevocable(let keyID, let state):
            .error(
                VarlinkError(
                    "io.keyrotd.KeyNotRevocable",
                    ["key_id": .string(keyID), "state": .string(state.rawValue)]
                )
            )
        case .noSigningKey(let workspace):
            .error(VarlinkError("io.keyrotd.NoSigningKey", ["workspace": .string(workspace)]))
        default:
            .error(.invalidArgument(description))
        }
    }
}
