import Foundation
import KeyrotCore

/// Re-seals key material from an old master key to a new one (`keyrotd rekey`): each secret is opened under the
/// old key and sealed under the new one, with the same workspace and key id bound in, and lives in memory only
/// as ``SecretBytes`` in between.
public struct MasterKeyResealer: KeyResealer {
    private let old: MasterKey
    private let new: MasterKeySealer

    public init(from old: MasterKey, to new: MasterKey) {
        self.old = old
        self.new = MasterKeySealer(masterKey: new)
    }

    public func reseal(_ sealed: Data, workspace: WorkspaceName, keyID: String) throws -> Data {
        let context = SealingContext.key(workspace: workspace, keyID: keyID)
        return try new.masterKey.seal(try old.open(sealed, for: context), for: context)
    }

    public func sealNewCanary() throws -> Data {
        try new.sealCanary()
    }
}
