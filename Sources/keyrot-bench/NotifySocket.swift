import Foundation

#if canImport(Glibc)
import Glibc
import NIOConcurrencyHelpers
#endif

/// A stand-in for systemd's notify socket: a datagram socket that records each sd_notify(3) message a spawned
/// daemon sends, with the moment it arrived.
///
/// - Important: Give the daemon `NOTIFY_SOCKET=`\(``path``); ``close()`` when done.
final class NotifySocket: Sendable {
    /// One datagram: its text and when it arrived.
    struct Message: Sendable {
        var text: String
        var arrived: ContinuousClock.Instant

        /// Whether the message has the line `assignment` (e.g. `READY=1`).
        func has(_ assignment: String) -> Bool { text.split(separator: "\n").contains { $0 == assignment } }
    }

    let path: String
    private let descriptor: Int32
    private let received = NIOLockedValueBox<(messages: [Message], closed: Bool)>(([], false))

    /// Binds a datagram socket at `path` and starts receiving on a thread of its own.
    init(path: String) throws {
        self.path = path
        descriptor = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else { throw POSIXError(.EIO) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else { throw POSIXError(.ENAMETOOLONG) }
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: bytes) }
        unlink(path)  // a socket file left by an earlier run
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        guard bound == 0 else {
            Glibc.close(descriptor)
            throw POSIXError(.EADDRINUSE)
        }
        Thread { [self] in receive() }.start()
    }

    /// Every message so far.
    var messages: [Message] { received.withLockedValue { $0.messages } }

    /// Waits up to `timeout` for a message with `assignment`; returns it, or nil.
    func first(_ assignment: String, timeout: Duration) async throws -> Message? {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if let message = messages.first(where: { $0.has(assignment) }) { return message }
            try await Task.sleep(for: .milliseconds(1))
        }
        return messages.first { $0.has(assignment) }
    }

    /// Stops receiving and removes the socket file.
    func close() {
        received.withLockedValue { $0.closed = true }
    }

    private func receive() {
        defer {
            Glibc.close(descriptor)
            unlink(path)
        }
        var buffer = [UInt8](repeating: 0, count: 8192)
        while !received.withLockedValue({ $0.closed }) {
            var poller = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
            guard poll(&poller, 1, 50) > 0 else { continue }
            let count = buffer.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
            let arrived = ContinuousClock.now
            guard count > 0 else { continue }
            let message = Message(text: String(decoding: buffer.prefix(count), as: UTF8.self), arrived: arrived)
            received.withLockedValue { $0.messages.append(message) }
        }
    }
}
