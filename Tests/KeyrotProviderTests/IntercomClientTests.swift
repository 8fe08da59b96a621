import AsyncHTTPClient
import Foundation
import KeyrotProvider
import KeyrotTestSupport
import NIOCore
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// What the agent hears from Intercom when it is told to wait: a `Retry-After` in seconds or as a date, or, on a
/// rate-limited answer, only Intercom's `X-RateLimit-Reset`. Each becomes the wait keyrotd's retry rules honour.
@Suite(.serialized) struct IntercomClientTests {
    @Test func everyFormOfBeingToldToWaitIsHeard() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let standIn = try await IntercomStandIn(in: directory, token: "token-1")
        let http = HTTPClient(eventLoopGroupProvider: .singleton)
        let client = IntercomClient(
            http: http,
            apiBase: standIn.apiBase,
            token: "token-1",
            platforms: ["web"],
            timeout: .seconds(5)
        )
        let inTwoMinutes = Date().addingTimeInterval(120)
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss 'GMT'"
        try await standIn.queueFaults([
            #"{"method": "GET", "kind": "status", "status": 429, "rate_limit_reset": 30}"#,
            #"{"method": "GET", "kind": "status", "status": 429, "retry_after": 7, "rate_limit_reset": 30}"#,
            #"{"method": "GET", "kind": "status", "status": 503, "retry_after": "\#(formatter.string(from: inTwoMinutes))"}"#,
            #"{"method": "GET", "kind": "status", "status": 503}"#,
        ])
        var waits: [Int?] = []
        var askedAt: [Date] = []
        for _ in 0..<4 {
            askedAt.append(Date())
            do {
                _ = try await client.list()
                Issue.record("the fault was not answered")
            } catch {
                #expect(error.kind == "transient", "\(error)")
                waits.append(error.retryAfterSeconds)
            }
        }
        // A second either way: the stand-in and the client each read the clock once.
        #expect((29...31).contains(waits[0] ?? 0), "X-RateLimit-Reset: \(waits)")
        #expect(waits[1] == 7, "Retry-After comes first: \(waits)")
        // The date is a moment: the wait is what is left of the two minutes when the answer came (a slow answer, on
        // a loaded machine, leaves less).
        let left = Int(inTwoMinutes.timeIntervalSince(askedAt[2]))
        #expect((left - 5...left + 1).contains(waits[2] ?? 0), "an HTTP date, \(left) s ahead: \(waits)")
        #expect(waits[3] == nil, "\(waits)")
        #expect(try await client.list().isEmpty)
        try await http.shutdown()
        standIn.process.send(SIGTERM)
        _ = try await standIn.process.waitForExit(timeout: 5)
    }
}
