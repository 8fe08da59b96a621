/// A deterministic random number generator (SplitMix64) for fuzz tests: the same seed gives the same inputs, so a
/// failure found once replays with its seed.
///
/// - Important: Not for anything secret; it exists to be predictable.
public struct SeededGenerator: RandomNumberGenerator, Sendable {
    private var state: UInt64

    public init(seed: UInt64) {
        state = seed
    }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var mixed = state
        mixed = (mixed ^ (mixed >> 30)) &* 0xBF58_476D_1CE4_E5B9
        mixed = (mixed ^ (mixed >> 27)) &* 0x94D0_49BB_1331_11EB
        return mixed ^ (mixed >> 31)
    }

    /// Whether an event of probability one in `odds` happens.
    public mutating func oneIn(_ odds: Int) -> Bool {
        Int.random(in: 0..<odds, using: &self) == 0
    }
}
