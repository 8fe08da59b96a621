/// When a failed provider job is tried again: exponential backoff from 1 s to 1 h with jitter, never sooner than
/// the provider's `Retry-After`, and not at all after an authorization failure until the configuration is reloaded.
///
/// Urgent jobs back off less, since their delay costs more than a call does:
/// - deleting a revoked secret the provider still accepts: every second of delay is a second in which identities
///   forged with the leaked secret pass, so a transient failure is retried after a second, however often it failed.
///   The secret then goes within a second or two of the provider being back; a call a second stays far below
///   Intercom's rate limit (10 000 calls a minute for an app).
/// - creating the secret of a workspace that has no signing key: backs off as usual, but to at most
///   ``urgentCreationMaximumDelay``, so signing resumes soon after the provider is back. (Not every second: a new
///   workspace pointed at a wrong address is urgent too, and would fail, and be written down, every second for good.)
///
/// The provider's `Retry-After` always comes first.
public enum ProviderRetry {
    /// The longest wait between two attempts.
    public static let maximumDelay = TimeSpan.hours(1)
    /// The longest wait between two attempts at an urgent creation.
    public static let urgentCreationMaximumDelay = TimeSpan.seconds(10)

    /// How long to wait after the `attempts`-th consecutive failure (1 for the first).
    ///
    /// - Parameter jitter: a random number in `0..<1` from the caller (the core has no randomness): the delay is
    ///   drawn from the upper half of the exponential step, so agents that failed together do not retry together,
    ///   and a retry never comes sooner than half the step.
    /// - Parameter longest: where the exponential step stops growing (``maximumDelay`` unless the job is urgent).
    public static func delay(
        afterAttempt attempts: Int,
        retryAfter: TimeSpan?,
        jitter: Double,
        longest: TimeSpan = maximumDelay
    ) -> TimeSpan {
        let exponent = min(max(attempts - 1, 0), 12)  // 2^12 s is past the hour already
        let step = min(Double(Int64(1) << exponent), Double(min(longest, maximumDelay).seconds))
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
            let longest =
                switch (job.urgent, job.kind) {
                case (true, .delete): TimeSpan.seconds(1)
                case (true, .create): urgentCreationMaximumDelay
                case (false, _): maximumDelay
                }
            next.notBefore =
                now + delay(afterAttempt: next.attempts, retryAfter: retryAfter, jitter: jitter, longest: longest)
        case .rejected:
            next.notBefore = now + delay(afterAttempt: max(next.attempts, 8), retryAfter: nil, jitter: jitter)
        }
        return next
    }
}
