/// Why the store did not do what it was asked: the lifecycle's rules refused it, or the database cannot be opened or
/// used. The one error type every public method of the store throws.
///
/// - Important: Descriptions name files, versions, workspaces and key ids, never key material or SQL.
public enum StoreError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The lifecycle's rules refused the request (an unknown workspace, a key that cannot be revoked, ...); nothing
    /// was changed.
    case refused(KeyrotError)
    /// The database failed or refused an operation; `problem` says what in an operator's words.
    case databaseFailed(problem: String)
    /// The database was written by a newer keyrotd; it is left untouched.
    case newerSchema(path: String, databaseVersion: Int, supportedVersion: Int)
    /// The master-key canary does not open: the master key is not the one this database was made with.
    case wrongMasterKey(path: String)
    /// The sealer failed to seal new key material.
    case sealingFailed(String)
    /// A migration this database applied differs from the file of the same number this keyrotd carries.
    case migrationChanged(path: String, fileName: String)
    /// The database file was removed while the store had it open: commits would go to a file nobody will open.
    case databaseFileGone(path: String)
    /// Another file took the database file's place while the store had it open.
    case databaseFileReplaced(path: String)
    /// The database's directory no longer takes new files (a read-only file system, changed permissions).
    case directoryNotWritable(path: String, problem: String)
    /// A commit failed (a full disk, a read-only file system, an I/O error).
    case cannotCommit(path: String, problem: String)
    /// The database server cannot be reached (it is down, the network is, or the connection was lost): nothing is
    /// known to have changed.
    case databaseUnreachable(location: String, problem: String)

    public var description: String {
        switch self {
        case .refused(let refusal):
            refusal.description
        case .databaseFailed(let problem):
            problem
        case .newerSchema(let path, let databaseVersion, let supportedVersion):
            "\(path) has schema version \(databaseVersion), newer than the \(supportedVersion) this keyrotd "
                + "knows; it was left untouched: run the keyrotd that wrote it, or a newer one"
        case .wrongMasterKey(let path):
            "the master key does not open \(path): it is not the key this database was sealed with "
                + "(nothing was changed)"
        case .sealingFailed(let reason):
            "could not seal new key material: \(reason)"
        case .migrationChanged(let path, let fileName):
            "\(path) was built with a different \(fileName) than this keyrotd carries; it was left untouched "
                + "(a shipped migration must never be edited)"
        case .databaseFileGone(let path):
            "\(path) was removed while keyrotd had it open; restore it from a backup before keyrotd restarts"
        case .databaseFileReplaced(let path):
            "\(path) was replaced by another file while keyrotd had it open"
        case .directoryNotWritable(let path, let problem):
            "the database directory \(path) is not writable: \(problem)"
        case .cannotCommit(let path, let problem):
            "cannot commit to \(path): \(problem)"
        case .databaseUnreachable(let location, let problem):
            "cannot reach the database \(location): \(problem)"
        }
    }
}
