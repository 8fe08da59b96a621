import Foundation

#if canImport(Glibc)
import Glibc
import NIOConcurrencyHelpers
#endif

/// Stands in for systemd's notify socket: a datagram socket that records every sd_notify(3) message a daemon
/// sends, with the sender's pid (`SO_PASSCRED`) and the moment it arrived.
///
/// - Important: A test gives the daemon `NOTIFY_SOCKET=`\(``path``) (``environment(watchdog:)`` makes the whole
///   set) and must ``close()`` the listener when done.
public final class NotifyListener: Sendable {
    /// One datagram: its assignments in order, as sent.
    public struct Message: Sendable {
        public var assignments: [(name: String, value: String)]
        public var pid: Int32?
        public var arrived: ContinuousClock.Instant

        /// The value of the last assignment of `name`.
        public subscript(name: String) -> String? { assignments.last { $0.name == name }?.value }
    }

    public let path: String
    private let descriptor: Int32
    private let state = NIOLockedValueBox<(messages: [Message], stopped: Bool)>(([], false))
    private let onMessage: @Sendable (Message) -> Void

    /// Binds the socket at `path`; `onMessage` runs on the listener's thread as each message arrives, before the
    /// next one is read (so a test can look at the daemon at the very moment it said something).
    public init(path: String, onMessage: @escaping @Sendable (Message) -> Void = { _ in }) throws {
        guard path.utf8.count < MemoryLayout.size(ofValue: sockaddr_un().sun_path) else {
            throw RawSocketError.failed("socket path too long: \(path)", ENAMETOOLONG)
        }
        self.path = path
        self.onMessage = onMessage
        descriptor = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else { throw RawSocketError.failed("socket", errno) }
        var on: Int32 = 1
        setsockopt(descriptor, SOL_SOCKET, SO_PASSCRED, &on, socklen_t(MemoryLayout<Int32>.size))
        let bound = withUnixSocketAddress(path) { bind(descriptor, $0, $1) }
        guard bound == 0 else {
            let code = errno
            Glibc.close(descriptor)
            throw RawSocketError.failed("bind \(path)", code)
        }
        chmod(path, 0o666)  // a daemon that runs as another user may send too, as with systemd's socket
        let thread = Thread { [self] in receiveUntilClosed() }
        thread.start()
    }

    /// The environment for a daemon reporting here: `NOTIFY_SOCKET`, and `WATCHDOG_USEC` when `watchdog` is given
    /// (start the daemon through ``watchdogLauncher`` so `WATCHDOG_PID` is its own pid, as systemd sets it).
    public func environment(watchdog: Duration? = nil) -> [String: String] {
        var environment = ProcessInfo.processInfo.environment
        environment["NOTIFY_SOCKET"] = path
        for name in ["WATCHDOG_USEC", "WATCHDOG_PID", "LISTEN_FDS", "LISTEN_PID", "LISTEN_FDNAMES", "JOURNAL_STREAM"] {
            environment[name] = nil
        }
        if let watchdog {
            let (seconds, attoseconds) = watchdog.components
            environment["WATCHDOG_USEC"] = "\(seconds * 1_000_000 + attoseconds / 1_000_000_000_000)"
        }
        return environment
    }

    /// `/bin/sh` arguments that set `WATCHDOG_PID` to the shell's pid and then `exec` the daemon, which keeps it.
    public static func watchdogLauncher(_ executable: String, _ arguments: [String]) -> [String] {
        ["-c", "WATCHDOG_PID=$$ exec \"$0\" \"$@\"", executable] + arguments
    }

    /// Every message so far.
    public var messages: [Message] { state.withLockedValue { $0.messages } }

    /// Waits up to `timeout` for `condition` to hold over the messages so far; returns whether it did.
    public func waitFor(timeout: Duration, _ condition: ([Message]) -> Bool) async throws -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if condition(messages) { return true }
            try await Task.sleep(for: .milliseconds(20))
        }
        return condition(messages)
    }

    /// Stops listening and removes the socket file.
    public func close() {
        state.withLockedValue { $0.stopped = true }
    }

    private func receiveUntilClosed() {
        defer {
            Glibc.close(descriptor)
            unlink(path)
        }
        var buffer = [UInt8](repeating: 0, count: 8192)
        var control = [UInt8](repeating: 0, count: 256)
        while !state.withLockedValue({ $0.stopped }) {
            var poller = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
            guard poll(&poller, 1, 50) > 0 else { continue }
            let (count, pid) = buffer.withUnsafeMutableBytes { data in
                control.withUnsafeMutableBytes { controlBytes in
                    var vector = iovec(iov_base: data.baseAddress, iov_len: data.count)
                    return withUnsafeMutablePointer(to: &vector) { vectorPointer in
                        var header = msghdr()
                        header.msg_iov = vectorPointer
                        header.msg_iovlen = 1
                        header.msg_control = controlBytes.baseAddress
                        header.msg_controllen = controlBytes.count
                        let count = recvmsg(descriptor, &header, 0)
                        return (count, Self.senderPID(controlBytes, length: Int(header.msg_controllen)))
                    }
                }
            }
            guard count > 0 else { continue }
            let text = String(decoding: buffer.prefix(count), as: UTF8.self)
            let assignments = text.split(separator: "\n").map { line in
                let parts = line.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                return (name: String(parts[0]), value: parts.count > 1 ? String(parts[1]) : "")
            }
            let message = Message(assignments: assignments, pid: pid, arrived: .now)
            onMessage(message)
            state.withLockedValue { $0.messages.append(message) }
        }
    }

    /// The pid in an `SCM_CREDENTIALS` control message (`struct cmsghdr` then `struct ucred`).
    private static func senderPID(_ control: UnsafeMutableRawBufferPointer, length: Int) -> Int32? {
        let headerSize = MemoryLayout<Int>.size + 2 * MemoryLayout<Int32>.size
        guard length >= headerSize + 3 * MemoryLayout<Int32>.size else { return nil }
        let level = control.load(fromByteOffset: MemoryLayout<Int>.size, as: Int32.self)
        let type = control.load(fromByteOffset: MemoryLayout<Int>.size + 4, as: Int32.self)
        guard level == SOL_SOCKET, type == 2 else { return nil }  // SCM_CREDENTIALS (needs _GNU_SOURCE in C)
        return control.load(fromByteOffset: headerSize, as: Int32.self)
    }
}
