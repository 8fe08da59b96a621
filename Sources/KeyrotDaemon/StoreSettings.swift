/// `[store]`: where keyrotd keeps its workspaces, keys and audit log.
///
/// - Important: Read at start-up only: a reload that names another store is rejected (a daemon does not move its
///   keys while it serves them; `keyrotd migrate-store` does that, stopped).
public enum StoreSettings: Equatable, Sendable, CustomStringConvertible {
    /// The embedded default: `<state-dir>/keyrotd.db`.
    case sqlite
    /// A PostgreSQL database that several hosts share, at `url` (`postgresql://USER@HOST:PORT/DATABASE`); the
    /// password, if any, is the credential `postgres-password`.
    case postgresql(url: String)

    /// The credential that holds the PostgreSQL role's password.
    public static let passwordCredential = "postgres-password"

    public var description: String {
        switch self {
        case .sqlite: "sqlite"
        case .postgresql(let url): url
        }
    }
}
