#if canImport(Glibc)
import Glibc
#endif

/// The system's users and groups (NSS: `/etc/passwd`, `/etc/group`, ...), to know which groups a peer belongs to.
public enum UserDatabase {
    /// The gid of the group called `name`, or nil if there is none.
    public static func groupID(named name: String) -> UInt32? {
        var group = Glibc.group()
        var result: UnsafeMutablePointer<Glibc.group>?
        var buffer = [CChar](repeating: 0, count: 16 * 1024)
        guard getgrnam_r(name, &group, &buffer, buffer.count, &result) == 0, result != nil else { return nil }
        return group.gr_gid
    }

    /// The groups of the user with `uid`: its primary group `gid` and every supplementary group of its account.
    public static func groupIDs(ofUser uid: UInt32, primaryGroup gid: UInt32) -> Set<UInt32> {
        var passwd = Glibc.passwd()
        var result: UnsafeMutablePointer<Glibc.passwd>?
        var buffer = [CChar](repeating: 0, count: 16 * 1024)
        guard getpwuid_r(uid, &passwd, &buffer, buffer.count, &result) == 0, result != nil, let name = passwd.pw_name
        else { return [gid] }
        var count: Int32 = 64
        var groups = [gid_t](repeating: 0, count: Int(count))
        if getgrouplist(name, gid, &groups, &count) < 0 {
            groups = [gid_t](repeating: 0, count: Int(count))
            guard getgrouplist(name, gid, &groups, &count) >= 0 else { return [gid] }
        }
        return Set(groups.prefix(Int(count))).union([gid])
    }
}
