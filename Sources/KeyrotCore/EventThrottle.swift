/// Lets an event through at most once per ``interval`` for each subject (a key, a workspace), so a client that
/// keeps presenting a revoked key, or a rotation that keeps failing, cannot flood the journal.
///
/// Pure: the caller passes `now`. Memory stays bounded: subjects whose interval has passed are forgotten once
/// more than ``capacity`` are held.
public struct EventThrottle: Sendable {
    public let interval: TimeSpan
    public let capacity: Int
    private var lastAllowed: [String: Timestamp] = [:]

    public init(interval: TimeSpan, capacity: Int = 10_000) {
        self.interval = interval
        self.capacity = capacity
    }

    /// Whether an event about `subject` may go out at `now`; if so, the next one waits a full interval.
    public mutating func allows(_ subject: String, at now: Timestamp) -> Bool {
        if let last = lastAllowed[subject], now < last + interval, now >= last { return false }
        if lastAllowed.count >= capacity {
            lastAllowed = lastAllowed.filter { now < $0.value + interval && now >= $0.value }
            if lastAllowed.count >= capacity { return false }
        }
        lastAllowed[subject] = now
        return true
    }
}
