#if canImport(Glibc)
import Glibc
#endif

/// The system's users and groups (NSS: `/etc/passwd`, `/etc/group`, ...), to know which groups a peer belongs to.
public enum UserDatabase {
    /// The gid of the group called `name`, or nil if there is none.
    public static func groupID(named name: String) -> UInt32? {
        var group = Glibc.group()
        var result: UnsafeMutablePointer<Glibc.group>?
        let found = withGrowingBuffer { buffer, size in getgrnam_r(name, &group, buffer, size, &result) }
        return found && result != nil ? group.gr_gid : nil
    }

    /// The groups of the user with `uid`: its primary group `gid` and every supplementary group of its account.
    public static func groupIDs(ofUser uid: UInt32, primaryGroup gid: UInt32) -> Set<UInt32> {
        var passwd = Glibc.passwd()
        var result: UnsafeMutablePointer<Glibc.passwd>?
        var name: String?
        let found = withGrowingBuffer { buffer, size in
            let status = getpwuid_r(uid, &passwd, buffer, size, &result)
            if status == 0, result != nil, let pointer = passwd.pw_name { name = String(cString: pointer) }
            return status
        }
        guard found, let name else { return [gid] }
        var count: Int32 = 64
        var groups = [gid_t](repeating: 0, count: Int(count))
        if getgrouplist(name, gid, &groups, &count) < 0 {
            groups = [gid_t](repeating: 0, count: Int(count))
            guard getgrouplist(name, gid, &groups, &count) >= 0 else { return [gid] }
        }
        return Set(groups.prefix(Int(count))).union([gid])
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
