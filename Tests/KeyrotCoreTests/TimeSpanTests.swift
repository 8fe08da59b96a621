import KeyrotCore
import Testing

@Suite struct TimeSpanTests {
    @Test(arguments: [
        ("90s", 90), ("15min", 900), ("12h", 43_200), ("30d", 2_592_000), ("1d 12h", 129_600), ("1d12h", 129_600),
        ("2 h", 7200), ("1w", 604_800), ("45", 45), ("0s", 0), (" 3 seconds ", 3), ("1h 30min 15s", 5415),
        ("1y", 31_557_600), ("2M", 5_259_600),
    ])
    func parsesSystemdStyleSpans(text: String, seconds: Int64) throws {
        #expect(try TimeSpan(parsing: text) == .seconds(seconds))
    }

    @Test(arguments: [
        ("", "empty"), ("2x", "unknown unit 'x'"), ("500ms", "whole seconds"), ("h", "whole number"),
        ("-5s", "whole number"), ("99999999999999999y", "too long"), ("1.5h", "whole number"),
    ])
    func rejectsMalformedSpansWithTheReason(text: String, reasonFragment: String) {
        #expect {
            try TimeSpan(parsing: text)
        } throws: { error in
            guard case KeyrotError.invalidTimeSpan(let quoted, let reason) = error else { return false }
            return quoted == text && reason.contains(reasonFragment)
        }
    }

    @Test(arguments: [
        (0, "0s"), (2, "2s"), (125, "2min 5s"), (129_600, "1d 12h"), (2_592_000, "30d"), (90_061, "1d 1h 1min 1s"),
    ])
    func printsLargestUnitFirstAndParsesBack(seconds: Int64, text: String) throws {
        #expect(TimeSpan.seconds(seconds).description == text)
        #expect(try TimeSpan(parsing: text) == .seconds(seconds))
    }

    @Test(arguments: [
        (2_591_950, 2, "29d 23h"), (2_592_005, 2, "30d"), (3605, 2, "1h"), (3665, 2, "1h 1min"), (59, 2, "59s"),
        (90_061, 1, "1d"), (90_061, 3, "1d 1h 1min"), (0, 2, "0s"),
    ])
    func statusLinesShowTheLargestUnitsOnly(seconds: Int64, units: Int, text: String) {
        #expect(TimeSpan.seconds(seconds).description(units: units) == text)
    }
}
