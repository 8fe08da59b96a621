/// Who is on the other end of a control connection, from `SO_PEERCRED` and `SO_PEERGROUPS` when it connected: the
/// process's own credentials, not its account's, so a process that dropped a group has dropped its rights, and a
/// unit's `SupplementaryGroups=` counts.
public struct PeerCredentials: Hashable, Sendable, CustomStringConvertible {
    public var pid: Int32
    public var uid: UInt32
    public var gid: UInt32
    /// The process's groups: its gid and its supplementary groups.
    public var groupIDs: Set<UInt32>

    public init(pid: Int32, uid: UInt32, gid: UInt32, supplementaryGroupIDs: Set<UInt32> = []) {
        self.pid = pid
        self.uid = uid
        self.gid = gid
        self.groupIDs = supplementaryGroupIDs.union([gid])
    }

    public var description: String { "uid \(uid) (pid \(pid))" }
}
