import Foundation

extension KeyStore {
    /// Imports a secret issued elsewhere as a pending key of the workspace (it verifies at once and is promoted
    /// by the next scheduled rotation), or, with `activate`, as its active key (the old one goes to grace), in one
    /// transaction with its audit rows.
    ///
    /// - Parameters:
    ///   - keyID: the key's id; nil gives the workspace's next generated id.
    ///   - secretLength: the secret's length, checked against the algorithm (at least its hash size).
    ///   - providerSecretID: the provider's id of the secret, in a provider's workspace.
    ///   - seal: seals the secret for the final key id; the store never sees the secret.
    /// - Returns: the new key and the audit rows (`key_imported`, then `rotated` if activated).
    public func importKey(
        _ name: WorkspaceName,
        keyID requestedKeyID: String?,
        secretLength: Int,
        activate: Bool,
        providerSecretID: String? = nil,
        at now: Timestamp,
        actor: AuditActor,
        seal: @escaping (_ keyID: String) throws -> Data
    ) throws(StoreError) -> (key: KeyRecord, entries: [AuditEntry]) {
        let imported = ImportedKey(
            keyID: requestedKeyID,
            secretLength: secretLength,
            activate: activate,
            providerSecretID: providerSecretID
        )
        let outcome = try perform(.importKey(imported), on: name, at: now, actor: actor, sealImported: seal)
        guard case .insertKey(let key) = outcome.decision.changes.first,
            let record = outcome.decision.result.key(withID: key.keyID)
        else { preconditionFailure("an import that added no key") }
        return (record, outcome.entries)
    }
}
