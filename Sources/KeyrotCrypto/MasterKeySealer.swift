import Foundation
import KeyrotCore

/// The store's ``KeyrotCore/KeySealer`` over a master key: fresh secrets from `RAND_bytes`, sealed with
/// AES-256-GCM and bound to their workspace and key id.
public struct MasterKeySealer: KeySealer {
    private static let canaryPlaintext = Array("keyrotd master key canary v1".utf8)

    public let masterKey: MasterKey

    public init(masterKey: MasterKey) {
        self.masterKey = masterKey
    }

    public func sealNewSecret(algorithm: SigningAlgorithm, workspace: WorkspaceName, keyID: String) throws -> Data {
        let secret = try SecureRandom.secret(count: algorithm.secretLength)
        return try masterKey.seal(secret, for: .key(workspace: workspace, keyID: keyID))
    }

    public func sealCanary() throws -> Data {
        try masterKey.seal(SecretBytes(copying: Self.canaryPlaintext), for: .canary)
    }

    public func opensCanary(_ sealed: Data) -> Bool {
        guard let opened = try? masterKey.open(sealed, for: .canary) else { return false }
        return opened == SecretBytes(copying: Self.canaryPlaintext)
    }
}
