import GRDB
import KeyrotCore

extension SQLiteKeyStore {
    /// Every workspace that has a provider, whole (keys and provider jobs), as one snapshot: what the provider board
    /// starts from.
    public func providerWorkspaces() throws(StoreError) -> [WorkspaceState] {
        try read { db in
            let names = try String.fetchAll(
                db,
                sql: "SELECT name FROM workspaces WHERE provider IS NOT NULL ORDER BY name"
            )
            return try names.compactMap { name in try db.workspaceState(named: try WorkspaceName(name))?.state }
        }
    }
}
