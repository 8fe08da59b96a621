/// A benchmark that measures in rounds of fixed length and reports the median round (`--seconds`, `--rounds`).
protocol TimedRounds {
    /// Seconds per measurement.
    var seconds: Double { get }
    /// Rounds per measurement; the median is reported.
    var rounds: Int { get }
}

extension TimedRounds {
    /// Operations per second of `body` over ``seconds``.
    func rate(_ body: () throws -> Void) rethrows -> Double {
        let clock = ContinuousClock()
        let start = clock.now
        var count = 0
        while clock.now - start < .seconds(seconds) {
            for _ in 0..<100 { try body() }
            count += 100
        }
        return Double(count) / (clock.now - start).inSeconds
    }

    /// The median of ``rounds`` runs of `measure`.
    func median(_ measure: () throws -> Double) rethrows -> Double {
        var values: [Double] = []
        for _ in 0..<rounds { values.append(try measure()) }
        return values.sorted()[values.count / 2]
    }
}
