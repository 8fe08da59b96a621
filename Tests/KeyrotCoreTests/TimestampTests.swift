import Foundation
import KeyrotCore
import Testing

@Suite struct TimestampTests {
    static func foundation(_ seconds: Int64) -> String {
        Date(timeIntervalSince1970: TimeInterval(seconds)).formatted(.iso8601)
    }

    @Test(arguments: [
        0 as Int64, -1, 86_399, 86_400, 951_782_400, 951_868_799, 1_795_600_000, 4_107_542_399, -2_208_988_800,
        -62_135_596_800, 253_402_300_799, 253_402_300_800, -62_135_596_801, .max, .min,
    ])
    func writesWhatFoundationWrites(_ seconds: Int64) {
        #expect(Timestamp(secondsSinceEpoch: seconds).iso8601 == Self.foundation(seconds))
    }

    @Test func agreesWithFoundationAcrossTheCalendar() {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<20_000 {
            let seconds = Int64.random(in: -62_135_596_800...253_402_300_799, using: &generator)
            #expect(Timestamp(secondsSinceEpoch: seconds).iso8601 == Self.foundation(seconds), "\(seconds)")
        }
        #expect(Timestamp(secondsSinceEpoch: 1_795_600_000).iso8601 == "2026-11-25T09:46:40Z")
    }
}
