/// One assignment of an sd_notify(3) message: what the daemon tells the service manager.
///
/// Pure: ``line`` renders the assignment exactly as the notify protocol carries it.
public enum NotifyState: Hashable, Sendable {
    /// `READY=1`: start-up (or a reload) is complete.
    case ready
    /// `RELOADING=1` with the `MONOTONIC_USEC=` a `Type=notify-reload` manager requires.
    case reloading(monotonicMicroseconds: UInt64)
    /// `STOPPING=1`: a graceful shutdown has begun.
    case stopping
    /// `STATUS=`: a one-line summary for `systemctl status`.
    case status(String)
    /// `WATCHDOG=1`: the daemon is alive and healthy.
    case watchdog
    /// `EXTEND_TIMEOUT_USEC=`: give start-up (or shutdown) this much longer, counted from now.
    case extendTimeout(microseconds: UInt64)

    /// The assignment as the notify protocol carries it; a status is kept to one line.
    public var line: String {
        switch self {
        case .ready: "READY=1"
        case .reloading(let microseconds): "RELOADING=1\nMONOTONIC_USEC=\(microseconds)"
        case .stopping: "STOPPING=1"
        case .status(let text):
            "STATUS=" + String(text.map { $0.isNewline ? " " : $0 })
        case .watchdog: "WATCHDOG=1"
        case .extendTimeout(let microseconds): "EXTEND_TIMEOUT_USEC=\(microseconds)"
        }
    }
}
