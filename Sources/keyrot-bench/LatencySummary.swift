/// A set of measured durations reduced to what the tables show: how many, the rate over the time they took, and
/// the 50th and 99th percentiles.
struct LatencySummary {
    var count: Int
    var rate: Double
    var p50: Duration
    var p99: Duration

    /// From every sample, measured over `elapsed`.
    init(_ samples: [Duration], elapsed: Duration) {
        let sorted = samples.sorted()
        func percentile(_ fraction: Double) -> Duration {
            sorted.isEmpty ? .zero : sorted[min(sorted.count - 1, Int(Double(sorted.count) * fraction))]
        }
        count = sorted.count
        rate = Double(sorted.count) / elapsed.inSeconds
        p50 = percentile(0.5)
        p99 = percentile(0.99)
    }

    /// `123 /s, p50 456 µs, p99 789 µs`.
    var cell: String {
        "\(Int(rate.rounded())) /s, p50 \(p50.microseconds) µs, p99 \(p99.microseconds) µs"
    }
}

extension Duration {
    /// Whole microseconds, rounded down.
    var microseconds: Int64 {
        components.seconds * 1_000_000 + components.attoseconds / 1_000_000_000_000
    }
}
