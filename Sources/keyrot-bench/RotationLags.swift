/// How long after its deadline each scheduled rotation of a ``SteadyWindow`` was seen committed, on the
/// monotonic clock, and what those lags add up to.
struct RotationLags {
    let window: SteadyWindow
    /// The window's start on the monotonic clock.
    let start: ContinuousClock.Instant
    /// Per workspace of the window, its lag once seen.
    private var lags: [Duration?]
    /// How many of the window's workspaces have been seen rotated.
    private(set) var seen = 0
    /// When the latest of them was seen.
    private(set) var lastSeen: ContinuousClock.Instant?

    init(window: SteadyWindow, start: ContinuousClock.Instant) {
        self.window = window
        self.start = start
        lags = Array(repeating: nil, count: window.count)
    }

    /// Workspace `position` was seen rotated at `instant`; only its first sighting counts.
    mutating func record(_ position: Int, seenAt instant: ContinuousClock.Instant) {
        guard lags[position] == nil else { return }
        lags[position] = instant - (start + .seconds(window.second(of: position)))
        seen += 1
        lastSeen = max(lastSeen ?? instant, instant)
    }

    /// Every lag seen: how many, and their percentiles.
    var summary: LatencySummary { LatencySummary(lags.compactMap { $0 }, elapsed: .seconds(window.seconds)) }

    /// The longest lag seen.
    var longest: Duration { lags.compactMap { $0 }.max() ?? .zero }

    /// Per second of the window that had a rotation seen, the shortest and the longest lag among its workspaces:
    /// how soon the daemon got to a second's deadlines, and how long it took to clear them.
    var perSecond: (shortest: [Duration], longest: [Duration]) {
        var shortest = [Duration?](repeating: nil, count: window.seconds)
        var longest = [Duration?](repeating: nil, count: window.seconds)
        for (position, lag) in lags.enumerated() {
            guard let lag else { continue }
            let second = window.second(of: position)
            shortest[second] = min(shortest[second] ?? lag, lag)
            longest[second] = max(longest[second] ?? lag, lag)
        }
        return (shortest.compactMap { $0 }, longest.compactMap { $0 })
    }
}
