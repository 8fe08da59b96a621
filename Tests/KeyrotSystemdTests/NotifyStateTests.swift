import Testing

@testable import KeyrotSystemd

@Suite struct NotifyStateTests {
    @Test(arguments: [
        (NotifyState.ready, "READY=1"), (.stopping, "STOPPING=1"), (.watchdog, "WATCHDOG=1"),
        (.reloading(monotonicMicroseconds: 1_234_567), "RELOADING=1\nMONOTONIC_USEC=1234567"),
        (.extendTimeout(microseconds: 300_000_000), "EXTEND_TIMEOUT_USEC=300000000"),
        (.status("3 workspaces; next rotation acme in 2d"), "STATUS=3 workspaces; next rotation acme in 2d"),
    ])
    func assignmentsAreRenderedAsTheProtocolCarriesThem(state: NotifyState, line: String) {
        #expect(state.line == line)
    }

    @Test func aStatusStaysOnOneLineWhateverItQuotes() {
        // A newline would end STATUS= and start an assignment of the quoted text's choosing.
        #expect(NotifyState.status("reason: bad\nREADY=1").line == "STATUS=reason: bad READY=1")
    }
}
