import Foundation
import KeyrotCore

/// The real wall clock (`CLOCK_REALTIME`), for the running daemon.
///
/// Sleeps are cut into slices of at most a minute and re-checked against the wall clock, so a clock step
/// (NTP, a suspended VM) delays a deadline by at most one slice; no work is done between slices.
public struct SystemWallClock: WallClock {
    static let longestSlice: Double = 60

    public init() {}

    public func now() -> Timestamp {
        Timestamp(secondsSinceEpoch: Int64(Date().timeIntervalSince1970.rounded(.down)))
    }

    public func sleep(until deadline: Timestamp) async throws {
        while true {
            let remaining = Double(deadline.secondsSinceEpoch) - Date().timeIntervalSince1970
            if remaining <= 0 { return }
            try await Task.sleep(for: .seconds(min(remaining, Self.longestSlice)))
        }
    }
}
