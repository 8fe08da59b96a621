/// The source of "now" and of waiting for a later moment, on the wall clock.
///
/// Everything that schedules takes a `WallClock`, so tests drive time with a manual clock instead of sleeping.
///
/// - Important: `sleep(until:)` must return once `now() >= deadline`, and must throw `CancellationError`
///   when its task is cancelled.
public protocol WallClock: Sendable {
    /// The current wall-clock time.
    func now() -> Timestamp

    /// Suspends until the wall clock reads `deadline` or later.
    func sleep(until deadline: Timestamp) async throws
}
