import Foundation

/// Makes and checks sealed key material for the store, which never holds a secret itself (KeyrotCrypto
/// implements it, KeyrotStore uses it, and neither imports the other).
///
/// `MasterKeySealer` implements it over the master key with AES-256-GCM; the store keeps only the bytes it returns.
/// - Important: Implementations bind `workspace` and `keyID` into the seal, so a sealed secret moved to another
///   row no longer opens.
public protocol KeySealer: Sendable {
    /// Generates a fresh secret of `algorithm.secretLength` random bytes and returns it sealed.
    func sealNewSecret(algorithm: SigningAlgorithm, workspace: WorkspaceName, keyID: String) throws -> Data

    /// Seals a known canary value, stored once per database.
    func sealCanary() throws -> Data

    /// Whether `sealed` is a canary sealed under this master key.
    func opensCanary(_ sealed: Data) -> Bool
}

extension KeySealer {
    /// The sealed secret a store keeps for `key` of `workspace`: a fresh one made here, or, for an imported or
    /// provider-made key, the one the caller sealed (`sealImported`, given the key id).
    /// - Throws: ``StoreError/sealingFailed(_:)`` if a fresh secret cannot be sealed; what `sealImported` throws.
    public func sealedSecret(
        for key: NewKey,
        of workspace: WorkspaceName,
        imported sealImported: ((String) throws -> Data)?
    ) throws -> Data {
        switch key.material {
        case .generated:
            do {
                return try sealNewSecret(algorithm: key.algorithm, workspace: workspace, keyID: key.keyID)
            } catch {
                throw StoreError.sealingFailed(String(describing: error))
            }
        case .imported:
            guard let sealImported else { preconditionFailure("an import without its sealed secret") }
            return try sealImported(key.keyID)
        }
    }
}
