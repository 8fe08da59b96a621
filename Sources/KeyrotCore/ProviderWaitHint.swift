/// How long a provider asked to be left alone, read from its answer's headers: `Retry-After` (RFC 9110 §10.2.3: a
/// number of seconds, or an HTTP date), else, on a 429, Intercom's `X-RateLimit-Reset` (the Unix time at which its
/// rate-limit window starts again; Intercom's 429 answers carry it, not always a `Retry-After`).
///
/// Pure: the agent passes the headers and its clock's `now`; ``ProviderRetry`` waits at least this long.
public enum ProviderWaitHint {
    /// The wait the headers ask for, or nil when they ask for none (absent, unreadable, or a time already past).
    public static func wait(
        retryAfter: String?,
        rateLimitReset: String?,
        status: Int,
        at now: Timestamp
    ) -> TimeSpan? {
        if let retryAfter = retryAfter?.trimmed, !retryAfter.isEmpty {
            if retryAfter.utf8.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }) {
                // Past 18 digits it is longer than any wait anyone means: the retry rules cap it at an hour anyway.
                return retryAfter.count > 18 ? .seconds(Int64.max / 2) : positive(.seconds(Int64(retryAfter)!))
            }
            if let date = httpDate(retryAfter) { return positive(date - now) }
        }
        if status == 429, let reset = rateLimitReset?.trimmed, reset.count <= 18, let seconds = Int64(reset) {
            return positive(Timestamp(secondsSinceEpoch: seconds) - now)
        }
        return nil
    }

    /// An IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`), the one form of HTTP date that servers send (RFC 9110
    /// §5.6.7); nil for anything else.
    public static func httpDate(_ text: String) -> Timestamp? {
        let parts = text.split(separator: " ", omittingEmptySubsequences: false)
        guard parts.count == 6, parts[0].count == 4, parts[0].hasSuffix(","),
            weekdays.contains(String(parts[0].dropLast())), parts[5] == "GMT",
            parts[1].count == 2, let day = Int64(parts[1]),
            let monthIndex = months.firstIndex(of: String(parts[2])),
            parts[3].count == 4, let year = Int64(parts[3])
        else { return nil }
        let clock = parts[4].split(separator: ":", omittingEmptySubsequences: false)
        guard clock.count == 3, clock.allSatisfy({ $0.count == 2 }),
            let hour = Int64(clock[0]), let minute = Int64(clock[1]), let second = Int64(clock[2]),
            (0...23).contains(hour), (0...59).contains(minute), (0...60).contains(second)
        else { return nil }
        let month = Int64(monthIndex) + 1
        guard (1...daysIn(month: month, year: year)).contains(day) else { return nil }
        let days = daysSinceEpoch(year: year, month: month, day: day)
        return Timestamp(secondsSinceEpoch: days * 86_400 + hour * 3600 + minute * 60 + second)
    }

    private static let weekdays: Set<String> = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
    private static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    private static func positive(_ span: TimeSpan) -> TimeSpan? {
        span.seconds > 0 ? span : nil
    }

    private static func daysIn(month: Int64, year: Int64) -> Int64 {
        switch month {
        case 2: year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    /// Days from 1970-01-01 to a proleptic Gregorian date (H. Hinnant's `days_from_civil`).
    private static func daysSinceEpoch(year: Int64, month: Int64, day: Int64) -> Int64 {
        let shiftedYear = month <= 2 ? year - 1 : year
        let era = (shiftedYear >= 0 ? shiftedYear : shiftedYear - 399) / 400
        let yearOfEra = shiftedYear - era * 400
        let dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }
}

extension String {
    fileprivate var trimmed: String {
        String(drop { $0 == " " || $0 == "\t" }.reversed().drop { $0 == " " || $0 == "\t" }.reversed())
    }
}
