import Foundation
import GRDB
import KeyrotCore

extension SQLiteKeyStore {
    /// The workspace's policy, keys and sealed secrets, for signing and verifying.
    public func workspaceKeys(of name: WorkspaceName) throws(StoreError) -> WorkspaceKeys {
        let revision = self.revision(of: name)
        return try read { db in
            let workspace = try db.workspace(named: name)
            let keys = try db.keys(of: workspace.id).map(\.record)
            var sealed: [String: Data] = [:]
            let rows = try Row.fetchAll(
                db,
                sql: "SELECT key_id, sealed_secret FROM keys WHERE workspace_id = ? AND sealed_secret IS NOT NULL",
                arguments: [workspace.id]
            )
            for row in rows { sealed[row["key_id"]] = row["sealed_secret"] }
            return WorkspaceKeys(
                policy: workspace.policy,
                ring: KeyRing(keys: keys),
                sealedSecrets: sealed,
                revision: revision
            )
        }
    }

    /// Records that tokens signed with `keyID` may live until `until`, so its grace window, once it is replaced,
    /// lasts at least that long. Never lowers the bound; only for a key that still signs.
    ///
    /// Bookkeeping, not a change of state: it writes no audit row.
    /// - Returns: false if the key is no longer active (a rotation came first): sign with the new key instead.
    public func recordTokensValid(until: Timestamp, keyID: String, of name: WorkspaceName) throws(StoreError) -> Bool {
        try write(.workspace(name)) { db in
            try db.execute(
                sql: """
                    UPDATE keys SET tokens_valid_until = max(coalesce(tokens_valid_until, 0), ?)
                    WHERE key_id = ? AND state = 'active'
                        AND workspace_id = (SELECT id FROM workspaces WHERE name = ?)
                    """,
                arguments: [until.secondsSinceEpoch, keyID, name.rawValue]
            )
            return db.changesCount > 0
        }
    }
}
