import KeyrotCore

#if canImport(Glibc)
import Glibc
#endif

extension ServerTrust {
    /// The invoking user's own uid, root, and the `keyrotd` system user if there is one.
    public static var invokingUser: ServerTrust {
        ServerTrust(invokingUID: getuid(), daemonUID: UserDatabase.userID(named: "keyrotd"))
    }
}
