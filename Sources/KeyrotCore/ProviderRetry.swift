/// When a failed provider job is tried again: exponential backoff from 1 s to 1 h with jitter, never sooner than
/// the provider's `Retry-After`, and not at all after an authorization failure until the configuration is reloaded.
public enum ProviderRetry {
    /// The longest wait between two attempts.
    public static let maximumDelay = TimeSpan.hours(1)

    /// How long to wait after the `attempts`-th consecutive failure (1 for the first).
    ///
    /// - Parameter jitter: a random number in `0..<1` from the caller (the core has no randomness): the delay is
    ///   drawn from the upper half of the exponential step, so agents that failed together do not retry together,
    ///   and a retry never comes sooner than half the step.
    public static func delay(afterAttempt attempts: Int, retryAfter: TimeSpan?, jitter: Double) -> TimeSpan {
        let exponent = min(max(attempts - 1, 0), 12)  // 2^12 s is past the hour already
        let step = min(Double(Int64(1) << exponent), Double(maximumDelay.seconds))
        let jittered = max(1, Int64((step * (0.5 + 0.5 * min(max(jitter, 0), 1))).rounded(.up)))
        // `now` is a whole second, truncated: a second more makes sure no retry comes sooner than the provider asked.
        let floor = min(retryAfter.map { $0.seconds + 1 } ?? 0, maximumDelay.seconds)
        return .seconds(min(max(jittered, floor), maximumDelay.seconds))
    }

    /// The job after a failed attempt at `now`.
    public static func failed(
        _ job: ProviderJob,
        _ failure: ProviderFailure,
        at now: Timestamp,
        jitter: Double
    )
        -> ProviderJob
    {
        var next = job
        next.attempts += 1
        next.lastError = failure.description
        switch failure {
        case .unauthorized:
            next.blocked = true
            next.notBefore = now
        case .transient(_, let retryAfter):
            next.notBefore = now + delay(afterAttempt: next.attempts, retryAfter: retryAfter, jitter: jitter)
        case .rejected:
            next.notBefore = now + delay(afterAttempt: max(next.attempts, 8), retryAfter: nil, jitter: jitter)
        }
        return next
    }
}
