import NIOCore

#if canImport(Glibc)
import Glibc
#endif

extension PeerCredentials {
    /// `struct ucred` as `getsockopt(SO_PEERCRED)` fills it (pid, uid, gid).
    private struct UCred: Sendable {
        var pid: Int32 = 0
        var uid: UInt32 = 0
        var gid: UInt32 = 0
    }

    /// No room at all: `getsockopt(SO_PEERGROUPS)` into it succeeds only when the peer has no supplementary group.
    private struct NoGroups: Sendable {}

    /// Room for 16 gids.
    private struct Gids16: Sendable {
        // swift-format-ignore
        var gids: (
            UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32,
            UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32
        ) = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
    }

    /// Room for `16 × 16` gids.
    private struct Gids256: Sendable {
        // swift-format-ignore
        var blocks: (
            Gids16, Gids16, Gids16, Gids16, Gids16, Gids16, Gids16, Gids16,
            Gids16, Gids16, Gids16, Gids16, Gids16, Gids16, Gids16, Gids16
        ) = (
            Gids16(), Gids16(), Gids16(), Gids16(), Gids16(), Gids16(), Gids16(), Gids16(),
            Gids16(), Gids16(), Gids16(), Gids16(), Gids16(), Gids16(), Gids16(), Gids16()
        )
    }

    /// The credentials of the process at the other end of a UNIX-socket channel. Of a peer with over 256
    /// supplementary groups (Linux allows 65 536) only the gid counts.
    static func of(_ channel: Channel) -> EventLoopFuture<PeerCredentials> {
        guard let provider = channel as? SocketOptionProvider else {
            return channel.eventLoop.makeFailedFuture(ChannelError.operationUnsupported)
        }
        let level = SocketOptionLevel(SOL_SOCKET)
        let credentials: EventLoopFuture<UCred> = provider.unsafeGetSocketOption(
            level: level,
            name: SocketOptionName(SO_PEERCRED)
        )
        return credentials.flatMap { ucred in
            let none: EventLoopFuture<NoGroups> = provider.unsafeGetSocketOption(
                level: level,
                name: SocketOptionName(SO_PEERGROUPS)
            )
            let withoutGroups = PeerCredentials(pid: ucred.pid, uid: ucred.uid, gid: ucred.gid)
            return none.map { _ in withoutGroups }
                .flatMapError { error in
                    // ERANGE says the peer has groups; any other failure gives it none (fewer rights, never more).
                    guard (error as? IOError)?.errnoCode == ERANGE else {
                        return provider.eventLoop.makeSucceededFuture(withoutGroups)
                    }
                    let groups: EventLoopFuture<Gids256> = provider.unsafeGetSocketOption(
                        level: level,
                        name: SocketOptionName(SO_PEERGROUPS)
                    )
                    return groups.map {
                        PeerCredentials(
                            pid: ucred.pid,
                            uid: ucred.uid,
                            gid: ucred.gid,
                            supplementaryGroupIDs: Self.groupIDs(in: $0)
                        )
                    }
                    // More groups than there is room for: the peer keeps only its gid's rights (less, never more).
                    .recover { _ in withoutGroups }
                }
        }
    }

    /// The gids `getsockopt(SO_PEERGROUPS)` wrote at the start of `buffer`, which was zero before: NIO does not
    /// say how many it wrote, but the kernel keeps a process's groups sorted, so the list is every entry up to
    /// the last non-zero one (zeros after it are the buffer's own); gid 0 is in it if it starts with a zero or
    /// is nothing but zeros (the caller knows the list is not empty).
    private static func groupIDs(in buffer: Gids256) -> Set<UInt32> {
        withUnsafeBytes(of: buffer) { raw in
            let gids = raw.bindMemory(to: UInt32.self)
            guard let last = gids.lastIndex(where: { $0 != 0 }) else { return [0] }
            return Set(gids[...last])
        }
    }
}
