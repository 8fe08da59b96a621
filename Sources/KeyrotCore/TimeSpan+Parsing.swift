import Foundation

extension TimeSpan {
    /// Seconds per unit name, as systemd.time(7) spells them (months and years in systemd's average lengths).
    private static let unitSeconds: [String: Int64] = {
        var table: [String: Int64] = [:]
        let units: [([String], Int64)] = [
            (["s", "sec", "secs", "second", "seconds"], 1),
            (["m", "min", "mins", "minute", "minutes"], 60),
            (["h", "hr", "hrs", "hour", "hours"], 3600),
            (["d", "day", "days"], 86_400),
            (["w", "week", "weeks"], 604_800),
            (["M", "month", "months"], 2_629_800),
            (["y", "year", "years"], 31_557_600),
        ]
        for (names, size) in units { for name in names { table[name] = size } }
        return table
    }()

    private static let subSecondUnits: Set<String> = ["ms", "msec", "us", "usec", "µs", "ns", "nsec"]

    /// Parses a systemd-style time span: one or more `<number><unit>` parts, spaces optional between them;
    /// a bare number means seconds.
    ///
    /// - Throws: ``KeyrotError/invalidTimeSpan(_:reason:)`` naming what is wrong.
    public init(parsing text: String) throws(KeyrotError) {
        let input = Array(text.trimmingCharacters(in: .whitespaces).unicodeScalars)
        guard !input.isEmpty else { throw .invalidTimeSpan(text, reason: "it is empty") }
        var index = 0
        var total: Int64 = 0
        while index < input.count {
            while index < input.count, input[index] == " " { index += 1 }
            var digits = ""
            while index < input.count, ("0"..."9").contains(input[index]) {
                digits.unicodeScalars.append(input[index])
                index += 1
            }
            guard let number = Int64(digits) else {
                throw .invalidTimeSpan(text, reason: "expected a whole number at position \(index + 1)")
            }
            while index < input.count, input[index] == " " { index += 1 }
            var unit = ""
            while index < input.count, input[index].properties.isAlphabetic {
                unit.unicodeScalars.append(input[index])
                index += 1
            }
            let size: Int64
            if unit.isEmpty {
                size = 1
            } else if let known = Self.unitSeconds[unit] {
                size = known
            } else if Self.subSecondUnits.contains(unit) {
                throw .invalidTimeSpan(text, reason: "keyrotd works in whole seconds; '\(unit)' is too fine")
            } else {
                throw .invalidTimeSpan(text, reason: "unknown unit '\(unit)' (use s, min, h, d, w, M or y)")
            }
            let (part, overflow1) = number.multipliedReportingOverflow(by: size)
            let (sum, overflow2) = total.addingReportingOverflow(part)
            guard !overflow1, !overflow2 else { throw .invalidTimeSpan(text, reason: "it is too long") }
            total = sum
        }
        self.init(seconds: total)
    }
}
