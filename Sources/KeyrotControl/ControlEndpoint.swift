import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Where the control server listens.
public enum ControlEndpoint: Sendable, CustomStringConvertible {
    /// Bind a new socket file (mode 0660), replacing a stale one; removed again on shutdown.
    case path(String)
    /// Adopt a listening socket handed over by systemd; the socket file is left alone.
    case descriptor(CInt)

    public var description: String {
        switch self {
        case .path(let path): path
        case .descriptor(let descriptor): "inherited descriptor \(descriptor)"
        }
    }
}

extension ControlEndpoint {
    /// Removes a socket file nobody listens on any more; refuses to start beside a live one.
    static func removeStaleSocket(at path: String) throws {
        var status = stat()
        guard lstat(path, &status) == 0 else { return }
        guard status.st_mode & S_IFMT == S_IFSOCK else { throw ControlSocketError.notASocket(path: path) }
        let probe = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard probe >= 0 else { return }
        defer { close(probe) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { buffer in
            buffer.copyBytes(from: path.utf8.prefix(buffer.count - 1))
        }
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(probe, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        if connected == 0 { throw ControlSocketError.inUse(path: path) }
        unlink(path)
    }
}
