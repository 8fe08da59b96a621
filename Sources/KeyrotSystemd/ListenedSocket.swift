import CSystemd

#if canImport(Glibc)
import Glibc
#endif

/// A listening socket the service manager handed over (socket activation, sd_listen_fds_with_names(3)).
public struct ListenedSocket: Hashable, Sendable {
    /// The inherited file descriptor (close-on-exec).
    public var descriptor: CInt
    /// Its `FileDescriptorName=` (systemd's default is the socket unit's name).
    public var name: String

    /// Takes every socket passed by the service manager, unsetting `$LISTEN_FDS`, `$LISTEN_PID` and
    /// `$LISTEN_FDNAMES` so that nothing started later inherits them.
    ///
    /// - Throws: ``SystemdError/listenFailed(_:)`` when the variables are malformed.
    public static func takeAll() throws(SystemdError) -> [ListenedSocket] {
        var names: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?
        let count = sd_listen_fds_with_names(1, &names)
        guard count >= 0 else { throw .listenFailed(errno: -count) }
        defer {
            if let names {
                for index in 0..<Int(count) { free(names[index]) }
                free(names)
            }
        }
        return (0..<Int(count)).map { index in
            ListenedSocket(
                descriptor: SD_LISTEN_FDS_START + CInt(index),
                name: names?[index].map { String(cString: $0) } ?? ""
            )
        }
    }

    /// Whether the descriptor is a listening `AF_UNIX` stream socket.
    public var isListeningUnixStream: Bool {
        sd_is_socket_unix(descriptor, CInt(SOCK_STREAM.rawValue), 1, nil, 0) > 0
    }

    /// The socket's file-system path, if it has one (not abstract, not unnamed).
    public var path: String? {
        var address = sockaddr_un()
        var length = socklen_t(MemoryLayout<sockaddr_un>.size)
        let named = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) }
        }
        guard named == 0, address.sun_family == sa_family_t(AF_UNIX) else { return nil }
        let path = withUnsafeBytes(of: address.sun_path) { bytes in
            String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self)
        }
        return path.isEmpty ? nil : path
    }
}
