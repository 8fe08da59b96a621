import Foundation
import GRDB
import KeyrotCore

extension KeyStore {
    /// Imports a secret issued elsewhere as a pending key of the workspace (it verifies at once and is promoted
    /// by the next scheduled rotation), or, with `activate`, as its active key (the old one goes to grace), in one
    /// transaction with its audit rows.
    ///
    /// - Parameters:
    ///   - keyID: the key's id; nil gives the next `<workspace>.<generation>`.
    ///   - secretLength: the secret's length, checked against the algorithm (at least its hash size).
    ///   - seal: seals the secret for the final key id; the store never sees the secret.
    /// - Returns: the new key and the audit rows (`key_imported`, then `rotated` if activated).
    public func importKey(
        _ name: WorkspaceName,
        keyID requestedKeyID: String?,
        secretLength: Int,
        activate: Bool,
        at now: Timestamp,
        actor: AuditActor,
        seal: (_ keyID: String) throws -> Data
    ) throws -> (key: KeyRecord, entries: [AuditEntry]) {
        try write { db in
            let workspace = try db.workspace(named: name)
            let algorithm = workspace.policy.algorithm
            guard secretLength >= algorithm.secretLength else {
                throw KeyrotError.secretTooShort(minimum: algorithm.secretLength, actual: secretLength)
            }
            let generation = try Int64.fetchOne(
                db,
                sql: "SELECT coalesce(max(generation), 0) + 1 FROM keys WHERE workspace_id = ?",
                arguments: [workspace.id]
            )!
            let keyID = requestedKeyID ?? KeyLifecycle.keyID(workspace: name, generation: generation)
            guard (1...128).contains(keyID.utf8.count), keyID.allSatisfy({ !$0.isWhitespace && !$0.isNewline }),
                !keyID.unicodeScalars.contains(where: { $0.properties.generalCategory == .control })
            else { throw KeyrotError.invalidKeyID(keyID) }
            if try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM keys WHERE key_id = ?)", arguments: [keyID])! {
                throw KeyrotError.keyIDTaken(keyID)
            }
            try db.execute(
                sql: """
                    INSERT INTO keys (workspace_id, key_id, generation, algorithm, state, sealed_secret, created_at)
                    VALUES (?, ?, ?, ?, 'pending', ?, ?)
                    """,
                arguments: [
                    workspace.id, keyID, generation, algorithm.rawValue, try seal(keyID), now.secondsSinceEpoch,
                ]
            )
            let rowID = db.lastInsertedRowID
            var entries = [
                try db.appendAudit(
                    at: now,
                    workspace: name,
                    event: .keyImported,
                    keyID: keyID,
                    reason: nil,
                    detail: "\(algorithm.rawValue), \(secretLength) bytes",
                    actor: actor
                )
            ]
            if activate {
                entries.append(
                    try rotateNow(
                        in: db,
                        name,
                        workspace: workspace,
                        mode: .scheduled,
                        successor: .pending(rowID: rowID),
                        reason: "imported key activated",
                        at: now,
                        actor: actor
                    )
                )
            }
            let key = try db.keys(of: workspace.id, where: "k.id = ?", arguments: [rowID])[0].record
            return (key, entries)
        }
    }
}
