/// Lets one fuzz campaign run at a time in a test process, the others waiting their turn.
///
/// - Important: A campaign keeps a core busy for its whole time; several at once on a two-core machine would starve
///   the timing-sensitive tests that run beside them.
actor FuzzTurns {
    static let shared = FuzzTurns()

    private var busy = false
    private var waiting: [CheckedContinuation<Void, Never>] = []

    /// Waits until no other campaign runs, then takes the turn.
    func take() async {
        guard busy else {
            busy = true
            return
        }
        await withCheckedContinuation { waiting.append($0) }
    }

    /// Hands the turn to the next campaign waiting, if any.
    func give() {
        if waiting.isEmpty { busy = false } else { waiting.removeFirst().resume() }
    }
}
