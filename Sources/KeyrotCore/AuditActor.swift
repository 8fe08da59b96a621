/// Who caused a change: the peer's uid and pid (from `SO_PEERCRED`), or the daemon itself for scheduled work.
public struct AuditActor: Hashable, Sendable {
    public var uid: Int64
    public var pid: Int64

    public init(uid: Int64, pid: Int64) {
        self.uid = uid
        self.pid = pid
    }
}
