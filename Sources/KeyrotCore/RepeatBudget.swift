/// Lets at most ``allowed`` events about one subject (a peer's uid, a revoked key presented) through in each
/// ``interval`` and counts the rest, so a peer repeating a refused call, or a lasting failure, cannot flood the
/// journal: past journald's rate limit every entry of the unit is dropped, the audit events included.
///
/// Pure: the caller passes `now`. What was held back is reported, with its count, by the next event of the subject
/// to pass or by ``endedWindows(at:)``, which the caller asks now and then. Memory stays bounded: at most
/// ``capacity`` subjects are held, and past that, events are held back and counted as ``overflow``.
public struct RepeatBudget: Sendable {
    /// What to do with one event.
    public enum Verdict: Equatable, Sendable {
        /// Log it, saying that `suppressedBefore` events of its subject were held back before it.
        case pass(suppressedBefore: Int)
        /// Hold it back; it is counted.
        case suppress
    }

    /// How many events of a subject were held back in a window that has ended.
    public struct Suppressed: Equatable, Sendable {
        public var subject: String
        public var count: Int

        public init(subject: String, count: Int) {
            self.subject = subject
            self.count = count
        }
    }

    /// One subject's current window: when it began, how many events passed and how many were held back.
    private struct Window: Sendable {
        var start: Timestamp
        var passed: Int
        var suppressed: Int
    }

    public let allowed: Int
    public let interval: TimeSpan
    public let capacity: Int
    private var windows: [String: Window] = [:]
    /// Events held back because no room was left for their subject (or whose subject was forgotten to make room),
    /// not yet reported.
    public private(set) var overflow = 0

    public init(allowed: Int, per interval: TimeSpan, capacity: Int = 10_000) {
        self.allowed = allowed
        self.interval = interval
        self.capacity = capacity
    }

    /// Whether an event about `subject` at `now` is logged or held back.
    public mutating func admit(_ subject: String, at now: Timestamp) -> Verdict {
        if var window = windows[subject], isOpen(window, at: now) {
            if window.passed < allowed {
                window.passed += 1
                windows[subject] = window
                return .pass(suppressedBefore: 0)
            }
            window.suppressed += 1
            windows[subject] = window
            return .suppress
        }
        let heldBack = windows[subject]?.suppressed ?? 0
        if windows[subject] == nil, windows.count >= capacity {
            for (forgotten, window) in windows where !isOpen(window, at: now) {
                windows[forgotten] = nil
                overflow += window.suppressed
            }
            if windows.count >= capacity {
                overflow += 1
                return .suppress
            }
        }
        windows[subject] = Window(start: now, passed: 1, suppressed: 0)
        return .pass(suppressedBefore: heldBack)
    }

    /// Forgets every window that has ended at `now`, and returns those that held events back, by subject, and
    /// then the ``overflow`` under ``otherSubjects``.
    public mutating func endedWindows(at now: Timestamp) -> [Suppressed] {
        var ended: [Suppressed] = []
        for (subject, window) in windows where !isOpen(window, at: now) {
            windows[subject] = nil
            if window.suppressed > 0 { ended.append(Suppressed(subject: subject, count: window.suppressed)) }
        }
        ended.sort { $0.subject < $1.subject }
        if overflow > 0 {
            ended.append(Suppressed(subject: Self.otherSubjects, count: overflow))
            overflow = 0
        }
        return ended
    }

    /// The subject under which events held back for want of room are reported.
    public static let otherSubjects = "other peers"

    /// Whether `window` is still the current one at `now`: a clock stepped back ends it, so nothing stays silenced.
    private func isOpen(_ window: Window, at now: Timestamp) -> Bool {
        now >= window.start && now < window.start + interval
    }
}
