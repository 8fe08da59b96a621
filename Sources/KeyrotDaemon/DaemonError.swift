/// Why the daemon cannot start, each with the exit code systemd and scripts see.
///
/// - Important: Descriptions name files, keys and environment variables, never key material.
public enum DaemonError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The configuration file is missing, unreadable or wrong; `key` names the offending setting.
    case configuration(file: String, key: String?, problem: String)
    /// No master key was provided, outside dev mode.
    case masterKeyMissing(String)
    /// The master key file exists but is not a 32-byte key.
    case masterKeyInvalid(path: String, problem: String)
    /// The database cannot be used as it is (newer schema, wrong master key).
    case databaseRefused(String)
    /// The state directory cannot be created or used.
    case stateDirectory(path: String, problem: String)
    /// A master key file or the state directory is open to other users, or a master key file has a stranger for
    /// its owner.
    case notPrivate(path: String, problem: String)
    /// The database cannot be opened or written (permissions, a full disk, I/O errors).
    case storage(path: String, problem: String)
    /// The socket systemd handed over cannot serve as the control socket.
    case inheritedSocket(String)
    /// Another process (a running keyrotd, or `keyrotd rekey`) holds the state directory's lock.
    case stateDirectoryInUse(path: String, holder: Int32?)
    /// `keyrotd rekey` cannot re-seal the database as asked.
    case rekey(String)

    /// sysexits(3): 78 (EX_CONFIG) for what an operator must fix before a restart can help, 73 (EX_CANTCREAT)
    /// for a state directory that cannot be made, 74 (EX_IOERR) for a database that cannot be used, 75
    /// (EX_TEMPFAIL) for a state directory another process is using.
    public var exitCode: Int32 {
        switch self {
        case .configuration, .masterKeyMissing, .masterKeyInvalid, .notPrivate, .databaseRefused, .inheritedSocket,
            .rekey:
            78
        case .stateDirectory: 73
        case .storage: 74
        case .stateDirectoryInUse: 75
        }
    }

    public var description: String {
        switch self {
        case .configuration(let file, let key, let problem):
            "configuration \(file): \(key.map { "\($0): " } ?? "")\(problem)"
        case .masterKeyMissing(let message):
            message
        case .masterKeyInvalid(let path, let problem):
            "master key \(path): \(problem)"
        case .databaseRefused(let message):
            message
        case .stateDirectory(let path, let problem):
            "state directory \(path): \(problem)"
        case .notPrivate(let path, let problem):
            "\(path) is not private enough to hold keyrotd's secrets: \(problem)"
        case .storage(let path, let problem):
            "database \(path): \(problem)"
        case .inheritedSocket(let message), .rekey(let message):
            message
        case .stateDirectoryInUse(let path, let holder):
            "state directory \(path) is in use by \(holder.map { "process \($0)" } ?? "another process") (it holds "
                + "\(path)/\(StateDirectoryLock.fileName)): stop that keyrotd first (systemctl stop keyrotd)"
        }
    }
}
