import Foundation

/// A point in wall-clock time, in whole seconds since the Unix epoch (UTC).
///
/// Whole seconds are the resolution of JWT `iat`/`exp` and of every time keyrotd stores, so the core never
/// has to round. Times reach the core as values: nothing here reads a clock.
public struct Timestamp: Hashable, Comparable, Sendable, CustomStringConvertible {
    public var secondsSinceEpoch: Int64

    public init(secondsSinceEpoch: Int64) {
        self.secondsSinceEpoch = secondsSinceEpoch
    }

    public static func < (lhs: Timestamp, rhs: Timestamp) -> Bool {
        lhs.secondsSinceEpoch < rhs.secondsSinceEpoch
    }

    public static func + (lhs: Timestamp, rhs: TimeSpan) -> Timestamp {
        let (sum, overflow) = lhs.secondsSinceEpoch.addingReportingOverflow(rhs.seconds)
        return Timestamp(secondsSinceEpoch: overflow ? .max : sum)
    }

    public static func - (lhs: Timestamp, rhs: Timestamp) -> TimeSpan {
        TimeSpan(seconds: lhs.secondsSinceEpoch - rhs.secondsSinceEpoch)
    }

    /// UTC ISO-8601 with a `Z`, e.g. `2026-11-25T10:00:00Z`: the form every view and log line uses.
    public var iso8601: String {
        Date(timeIntervalSince1970: TimeInterval(secondsSinceEpoch)).formatted(.iso8601)
    }

    public var description: String { iso8601 }
}
