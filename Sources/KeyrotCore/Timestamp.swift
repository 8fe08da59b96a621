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

    /// The last second of year 9999: "never" for a deadline, still a date every formatter and column takes.
    public static let distantFuture = Timestamp(secondsSinceEpoch: 253_402_300_799)

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
    ///
    /// Written from the Gregorian calendar's arithmetic for years 1600 to 9999 (every `Sign` and `Verify` reply
    /// carries one or two, and Foundation's formatter cost as much as the signing); Foundation's formatter writes the
    /// years outside (before 1582 it counts in the Julian calendar).
    public var iso8601: String {
        let (days, seconds) = secondsSinceEpoch.quotientAndRemainder(dividingBy: 86_400)
        let (day, second) = seconds < 0 ? (days - 1, seconds + 86_400) : (days, seconds)
        let (year, month, dayOfMonth) = Self.civil(fromDays: day)
        guard (1600...9999).contains(year) else {
            return Date(timeIntervalSince1970: TimeInterval(secondsSinceEpoch)).formatted(.iso8601)
        }
        var text: [UInt8] = []
        text.reserveCapacity(20)
        func append(_ value: Int64, digits: Int) {
            var divisor: Int64 = 1
            for _ in 1..<digits { divisor *= 10 }
            while divisor > 0 {
                text.append(UInt8(ascii: "0") + UInt8(value / divisor % 10))
                divisor /= 10
            }
        }
        append(year, digits: 4)
        text.append(UInt8(ascii: "-"))
        append(month, digits: 2)
        text.append(UInt8(ascii: "-"))
        append(dayOfMonth, digits: 2)
        text.append(UInt8(ascii: "T"))
        append(second / 3600, digits: 2)
        text.append(UInt8(ascii: ":"))
        append(second / 60 % 60, digits: 2)
        text.append(UInt8(ascii: ":"))
        append(second % 60, digits: 2)
        text.append(UInt8(ascii: "Z"))
        return String(decoding: text, as: UTF8.self)
    }

    /// The proleptic Gregorian date of the day `days` after 1970-01-01 (H. Hinnant's `civil_from_days`).
    private static func civil(fromDays days: Int64) -> (year: Int64, month: Int64, day: Int64) {
        let shifted = days + 719_468
        let era = (shifted >= 0 ? shifted : shifted - 146_096) / 146_097
        let dayOfEra = shifted - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthIndex = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * monthIndex + 2) / 5 + 1
        let month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    public var description: String { iso8601 }
}
