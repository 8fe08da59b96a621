import Foundation
import GRDB
import KeyrotCore

extension SQLiteKeyStore {
    /// Re-seals every key that still has material, and the master-key canary, under a new master key, and
    /// appends a `master_key_rotated` audit row, all in one transaction: a crash leaves every blob under the old
    /// key or every blob under the new one. Then no file of the database keeps a blob sealed under the old key, unless
    /// ``isPurgePending`` says a reader prevented it.
    ///
    /// - Important: This store was opened with the old master key's sealer; once this returns, close it and open
    ///   the database with the new master key.
    /// - Returns: how many keys were re-sealed, and the audit row.
    public func rekey(
        with resealer: any KeyResealer,
        actor: AuditActor,
        at now: Timestamp
    ) throws(StoreError) -> (resealed: Int, entry: AuditEntry) {
        let outcome = try write(.wholeStore) { db in
            let rows = try Row.fetchAll(
                db,
                sql: """
                    SELECT k.id, w.name, k.key_id, k.sealed_secret FROM keys AS k
                    JOIN workspaces AS w ON w.id = k.workspace_id
                    WHERE k.sealed_secret IS NOT NULL ORDER BY k.id
                    """
            )
            let update = try db.makeStatement(sql: "UPDATE keys SET sealed_secret = ? WHERE id = ?")
            for row in rows {
                let workspace = try WorkspaceName(row["name"])
                let resealed = try resealer.reseal(row["sealed_secret"], workspace: workspace, keyID: row["key_id"])
                try update.execute(arguments: [resealed, row["id"]])
            }
            try db.execute(
                sql: "UPDATE master_key_canary SET sealed = ?, created_at = ? WHERE id = 1",
                arguments: [try resealer.sealNewCanary(), now.secondsSinceEpoch]
            )
            let entry = try db.appendAudit(
                at: now,
                workspace: nil,
                event: .masterKeyRotated,
                keyID: nil,
                reason: "keyrotd rekey",
                detail: "\(rows.count) \(rows.count == 1 ? "key" : "keys") re-sealed under a new master key",
                actor: actor
            )
            return (rows.count, entry)
        }
        // The blobs sealed under the old key are destroyed material too.
        purgeDestroyedMaterial()
        return outcome
    }
}
