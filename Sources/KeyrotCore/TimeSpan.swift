/// A length of time in whole seconds, written and read in systemd's time-span style (`90s`, `15min`,
/// `1d 12h`; see systemd.time(7)).
///
/// - Important: Sub-second spans are refused rather than rounded: a schedule of `500ms` is a mistake
///   worth an error, not a silent `0s`.
public struct TimeSpan: Hashable, Comparable, Sendable, CustomStringConvertible {
    public var seconds: Int64

    public init(seconds: Int64) {
        self.seconds = seconds
    }

    public static func seconds(_ value: Int64) -> TimeSpan { TimeSpan(seconds: value) }
    public static func minutes(_ value: Int64) -> TimeSpan { TimeSpan(seconds: value * 60) }
    public static func hours(_ value: Int64) -> TimeSpan { TimeSpan(seconds: value * 3600) }
    public static func days(_ value: Int64) -> TimeSpan { TimeSpan(seconds: value * 86_400) }
    public static let zero = TimeSpan(seconds: 0)

    public static func < (lhs: TimeSpan, rhs: TimeSpan) -> Bool { lhs.seconds < rhs.seconds }

    /// The span in systemd's style, largest unit first: `30d`, `1d 12h`, `2min 5s`, `0s`.
    public var description: String { description(units: 4) }

    /// The span in the same style, cut to `units` units from the largest it has (rounded down): with 2 units,
    /// `29d 23h 59min 10s` reads `29d 23h` and `30d 5s` reads `30d`, for status lines.
    public func description(units: Int) -> String {
        guard seconds > 0 else {
            return seconds == 0 ? "0s" : "-" + TimeSpan(seconds: -seconds).description(units: units)
        }
        let sizes: [(String, Int64)] = [("d", 86_400), ("h", 3600), ("min", 60), ("s", 1)]
        let largest = sizes.firstIndex { seconds >= $0.1 }!
        var rest = seconds
        var parts: [String] = []
        for (unit, size) in sizes[largest..<min(largest + max(units, 1), sizes.count)] {
            if rest >= size { parts.append("\(rest / size)\(unit)") }
            rest %= size
        }
        return parts.joined(separator: " ")
    }
}
