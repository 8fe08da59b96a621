#if canImport(Glibc)
import Glibc
#endif

/// The system's users and groups (NSS: `/etc/passwd`, `/etc/group`, ...): the gids of configured group names, the
/// uid of keyrotd's system user, the names of peers.
public enum UserDatabase {
    /// The gid of the group called `name`, or nil if there is none.
    public static func groupID(named name: String) -> UInt32? {
        var group = Glibc.group()
        var result: UnsafeMutablePointer<Glibc.group>?
        let found = withGrowingBuffer { buffer, size in getgrnam_r(name, &group, buffer, size, &result) }
        return found && result != nil ? group.gr_gid : nil
    }

    /// The uid of the user called `name`, or nil if there is none.
    public static func userID(named name: String) -> UInt32? {
        var passwd = Glibc.passwd()
        var result: UnsafeMutablePointer<Glibc.passwd>?
        let found = withGrowingBuffer { buffer, size in getpwnam_r(name, &passwd, buffer, size, &result) }
        return found && result != nil ? passwd.pw_uid : nil
    }

    /// The name of the user with `uid`, or nil if it has none.
    public static func userName(of uid: UInt32) -> String? {
        var passwd = Glibc.passwd()
        var result: UnsafeMutablePointer<Glibc.passwd>?
        var name: String?
        let found = withGrowingBuffer { buffer, size in
            let status = getpwuid_r(uid, &passwd, buffer, size, &result)
            if status == 0, result != nil, let pointer = passwd.pw_name { name = String(cString: pointer) }
            return status
        }
        return found ? name : nil
    }

    /// Calls a `*_r` lookup with a buffer that doubles (from 16 KiB to 16 MiB) while it answers `ERANGE`; whether
    /// the lookup succeeded.
    private static func withGrowingBuffer(_ lookup: (UnsafeMutablePointer<CChar>, Int) -> Int32) -> Bool {
        var size = 16 * 1024
        while size <= 16 * 1024 * 1024 {
            var buffer = [CChar](repeating: 0, count: size)
            let status = buffer.withUnsafeMutableBufferPointer { lookup($0.baseAddress!, $0.count) }
            if status != ERANGE { return status == 0 }
            size *= 2
        }
        return false
    }
}
