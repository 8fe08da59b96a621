import Foundation
import KeyrotCore

/// When the steady benchmark's workspaces fall due: `count` of them over `seconds` seconds from `start`, as evenly
/// as keyrotd's deadlines allow.
///
/// - Important: A key's activation time and its workspace's rotation period are whole seconds, so deadlines are
///   too: the workspaces share the window's whole seconds (`count / seconds` at each, 100 by default) instead of
///   falling due one every `seconds / count` (10 ms).
struct SteadyWindow {
    /// The first deadline.
    let start: Timestamp
    /// How many whole seconds carry deadlines.
    let seconds: Int
    /// How many workspaces fall due.
    let count: Int

    /// Which of the window's seconds (0 ..< ``seconds``) workspace `position` (0 ..< ``count``) falls due in.
    func second(of position: Int) -> Int { position * seconds / count }

    /// The deadline of workspace `position`.
    func deadline(_ position: Int) -> Timestamp { start + .seconds(Int64(second(of: position))) }

    /// ``start`` on the monotonic clock, as the wall clock reads now. Read it close to the window: the wall clock
    /// can be slewed away from the monotonic one meanwhile.
    func startOnMonotonicClock() -> ContinuousClock.Instant {
        .now + .seconds(Double(start.secondsSinceEpoch) - Date().timeIntervalSince1970)
    }
}
