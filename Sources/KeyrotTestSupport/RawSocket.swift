import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A plain UNIX-socket client that sends exactly the bytes a test gives it (garbage included) and reads
/// NUL-terminated replies, so tests can misbehave the way a hostile peer would.
///
/// - Important: Its socket calls block, so each runs on a thread of its own: blocking one of Swift concurrency's
///   few pool threads would starve an in-process server of the threads it needs to answer.
public final class RawSocket: @unchecked Sendable {
    private let descriptor: Int32

    /// Connects to `path`, with reads timing out after `timeout` seconds.
    public init(path: String, timeout: Double = 5) throws {
        descriptor = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else { throw RawSocketError.failed("socket", errno) }
        let result = withUnixSocketAddress(path) { connect(descriptor, $0, $1) }
        guard result == 0 else {
            // No close here: an initializer that throws once every property is set still runs `deinit`, which
            // closes the descriptor; closing it here as well closed whatever another thread had opened under the
            // same number meanwhile (an in-process server's accepted connection, another test's socket: EBADF).
            throw RawSocketError.failed("connect", errno)
        }
        var interval = timeval(tv_sec: Int(timeout), tv_usec: Int((timeout - timeout.rounded(.down)) * 1_000_000))
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &interval, socklen_t(MemoryLayout<timeval>.size))
    }

    deinit { close(descriptor) }

    /// Sends `bytes` as they are.
    public func send(_ bytes: some Sequence<UInt8>) async throws {
        let data = Array(bytes)
        try await onOwnThread { try self.sendNow(data) }
    }

    /// Sends `json` followed by the NUL that ends a varlink message.
    public func send(message json: String) async throws {
        try await send(Array(json.utf8) + [0])
    }

    /// Reads one NUL-terminated reply; nil if the daemon closed the connection first.
    public func receive() async throws -> String? {
        try await onOwnThread { try self.receiveNow() }
    }

    /// Whether the daemon has closed the connection (reads end of stream within the timeout).
    public func isClosedByPeer() async -> Bool {
        (try? await onOwnThread { self.closedNow() }) ?? false
    }

    /// Sends `json` as one message and reads the reply, blocking the calling thread: for a loop that runs on a
    /// thread of its own (``onOwnThread(_:)``), where what it times is the daemon, not the test's task scheduling.
    public func exchangeBlocking(_ json: String) throws -> String? {
        try sendNow(Array(json.utf8) + [0])
        return try receiveNow()
    }

    /// Sends `bytes` as they are, blocking the calling thread (see ``exchangeBlocking(_:)``).
    public func sendBlocking(_ bytes: [UInt8]) throws {
        try sendNow(bytes)
    }

    private func sendNow(_ bytes: [UInt8]) throws {
        let data = Array(bytes)
        var offset = 0
        while offset < data.count {
            let sent = data[offset...].withUnsafeBytes {
                Glibc.send(descriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL))
            }
            guard sent > 0 else { throw RawSocketError.failed("send", errno) }
            offset += sent
        }
    }

    private func receiveNow() throws -> String? {
        var reply: [UInt8] = []
        var byte: UInt8 = 0
        while true {
            let count = recv(descriptor, &byte, 1, 0)
            // A peer that closes with bytes of ours unread resets the connection instead of ending it.
            if count == 0 || (count < 0 && errno == ECONNRESET && reply.isEmpty) { return nil }
            guard count == 1 else { throw RawSocketError.failed("recv", errno) }
            if byte == 0 { return String(decoding: reply, as: UTF8.self) }
            reply.append(byte)
        }
    }

    private func closedNow() -> Bool {
        var byte: UInt8 = 0
        let count = recv(descriptor, &byte, 1, 0)
        return count == 0 || (count < 0 && errno == ECONNRESET)
    }
}

/// A failed socket call and its `errno`.
public enum RawSocketError: Error, CustomStringConvertible {
    case failed(String, Int32)

    public var description: String {
        switch self {
        case .failed(let call, let code): "\(call): \(String(cString: strerror(code)))"
        }
    }
}
