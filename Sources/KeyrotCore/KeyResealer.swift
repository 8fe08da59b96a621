import Foundation

/// Moves sealed key material from one master key to another for `keyrotd rekey`, without the store ever holding
/// a secret: the store hands over each sealed blob, and gets back the same secret sealed under the new key.
///
/// KeyrotCrypto implements it over the two master keys (`MasterKeyResealer`).
public protocol KeyResealer: Sendable {
    /// `sealed` (a secret of `workspace`'s key `keyID`, sealed under the old master key) sealed under the new one.
    /// - Throws: when `sealed` does not open under the old master key for that workspace and key.
    func reseal(_ sealed: Data, workspace: WorkspaceName, keyID: String) throws -> Data

    /// The canary, sealed under the new master key.
    func sealNewCanary() throws -> Data
}
