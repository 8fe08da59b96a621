import CSystemd

/// The service manager's watchdog (`WatchdogSec=`), as sd_watchdog_enabled(3) reads it from `$WATCHDOG_USEC`
/// and `$WATCHDOG_PID`.
public enum SystemdWatchdog {
    /// How often to send `WATCHDOG=1`: half the watchdog timeout, as sd_watchdog_enabled(3) advises; nil when no
    /// watchdog is armed for this process.
    public static func pingInterval() -> Duration? {
        var microseconds: UInt64 = 0
        guard sd_watchdog_enabled(0, &microseconds) > 0, microseconds > 0 else { return nil }
        return .microseconds(Int64(clamping: microseconds / 2))
    }
}
