import CSystemd

#if canImport(Glibc)
import Glibc
#endif

/// Tells the service manager about the daemon's life through sd_notify(3): ready, reloading, stopping, status,
/// watchdog pings and start-up extensions.
///
/// - Important: Without `$NOTIFY_SOCKET` (not started by systemd, or `Type=` is not `notify`) every call is a
///   no-op. The environment is never unset, so a later message still finds the socket.
public struct SystemdNotifier: Sendable {
    public init() {}

    /// Sends `states` as one message; returns whether a service manager received it.
    @discardableResult
    public func send(_ states: NotifyState...) -> Bool {
        send(states)
    }

    /// Sends `states` as one message; returns whether a service manager received it.
    @discardableResult
    public func send(_ states: [NotifyState]) -> Bool {
        guard !states.isEmpty else { return false }
        return sd_notify(0, states.map(\.line).joined(separator: "\n")) > 0
    }

    /// `RELOADING=1` stamped with the current `CLOCK_MONOTONIC`, as `Type=notify-reload` requires.
    @discardableResult
    public func reloading(status: String) -> Bool {
        send(.reloading(monotonicMicroseconds: Self.monotonicMicroseconds()), .status(status))
    }

    /// `CLOCK_MONOTONIC` in microseconds, the clock of `MONOTONIC_USEC=`.
    public static func monotonicMicroseconds() -> UInt64 {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return UInt64(now.tv_sec) * 1_000_000 + UInt64(now.tv_nsec) / 1000
    }
}
