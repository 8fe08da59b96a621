import KeyrotCore
import Testing

/// A provider's "wait" in each form HTTP and Intercom have for it.
@Suite struct ProviderWaitHintTests {
    /// 2026-12-05T22:00:00Z.
    static let now = Timestamp(secondsSinceEpoch: 1_796_508_000)

    func wait(_ retryAfter: String?, reset: String? = nil, status: Int = 503) -> Int64? {
        ProviderWaitHint.wait(retryAfter: retryAfter, rateLimitReset: reset, status: status, at: Self.now)?.seconds
    }

    @Test func httpDatesAreReadAsIMFFixdate() {
        #expect(ProviderWaitHint.httpDate("Sun, 06 Nov 1994 08:49:37 GMT")?.secondsSinceEpoch == 784_111_777)
        #expect(ProviderWaitHint.httpDate("Sat, 05 Dec 2026 22:00:00 GMT") == Self.now)
        #expect(ProviderWaitHint.httpDate("Thu, 29 Feb 2024 00:00:00 GMT")?.iso8601 == "2024-02-29T00:00:00Z")
        for malformed in [
            "Sunday, 06-Nov-94 08:49:37 GMT",  // RFC 850's form: obsolete, and no server sends it
            "Sun Nov  6 08:49:37 1994",  // asctime's
            "Sun, 06 Nov 1994 08:49:37 UTC", "Sun, 6 Nov 1994 08:49:37 GMT", "Sun, 06 Nov 1994 24:00:00 GMT",
            "Fri, 29 Feb 2023 00:00:00 GMT", "Sun, 31 Apr 2026 00:00:00 GMT", "Sun, 06 Foo 1994 08:49:37 GMT", "",
        ] {
            #expect(ProviderWaitHint.httpDate(malformed) == nil, "\(malformed)")
        }
    }

    @Test func retryAfterIsSecondsOrADateAndWinsOverTheRateLimitReset() {
        #expect(wait("5") == 5)
        #expect(wait(" 120 ") == 120)
        #expect(wait("Sat, 05 Dec 2026 22:02:00 GMT") == 120)
        #expect(wait("Sat, 05 Dec 2026 21:59:00 GMT") == nil)  // already past
        #expect(wait("0") == nil)
        #expect(wait("-3") == nil)
        #expect(wait("soon") == nil)
        #expect(wait("99999999999999999999999") ?? 0 > 3600)  // absurd, but a wait: the retry rules cap it
        #expect(wait("7", reset: "1796508030", status: 429) == 7)
    }

    @Test func intercomsRateLimitResetCountsOnlyOnA429() {
        #expect(wait(nil, reset: "1796508030", status: 429) == 30)
        #expect(wait("soon", reset: "1796508030", status: 429) == 30)
        #expect(wait(nil, reset: "1796508030", status: 503) == nil)
        #expect(wait(nil, reset: "1796507990", status: 429) == nil)
        #expect(wait(nil, reset: "tomorrow", status: 429) == nil)
        #expect(wait(nil, reset: nil, status: 429) == nil)
    }
}
