#if canImport(Glibc)
import Glibc
#endif

/// What can go wrong talking to systemd's pieces.
public enum SystemdError: Error, Hashable, CustomStringConvertible {
    /// `$LISTEN_FDS` and friends could not be read.
    case listenFailed(errno: CInt)
    /// The journal could not be opened or read.
    case journalUnreadable(errno: CInt)

    public var description: String {
        switch self {
        case .listenFailed(let code):
            "cannot take the sockets passed by the service manager: \(String(cString: strerror(code)))"
        case .journalUnreadable(let code):
            "cannot read the journal: \(String(cString: strerror(code)))"
        }
    }
}
