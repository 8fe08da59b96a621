import Foundation

/// A time-bounded fuzz run: calls a property with fresh seeded inputs until its time is up (and at least
/// ``minimumCases`` have run, however slow the machine), and collects the inputs that broke it. One campaign that
/// ``takesTurns`` runs at a time in a test process; the others wait their turn.
///
/// Every case has its own seed; the first case of a campaign uses the campaign's seed itself, so
/// `KEYROT_FUZZ_SEED=<a failing case's seed>` replays that case first. `KEYROT_FUZZ_SECONDS` sets how long each
/// campaign runs (default 3). The campaign's seed goes to standard error before the first case, so even an input
/// that crashes the process can be replayed.
///
/// - Important: The property signals a violation by throwing ``FuzzViolation``; anything else it throws counts as
///   a violation too (an unnamed error is exactly what fuzzing looks for).
public struct FuzzCampaign: Sendable {
    public let name: String
    public let seed: UInt64
    public let duration: Duration
    /// The cases run even when they take longer than ``duration``.
    public let minimumCases: Int
    /// Whether the campaign waits for the others that take turns: true for one that keeps this process busy, false
    /// for one whose cases mostly wait on another process.
    public let takesTurns: Bool
    /// At most this many violations are collected before the campaign stops early.
    public let maximumViolations = 5

    /// A campaign of `defaultSeconds` unless `KEYROT_FUZZ_SECONDS` says otherwise, and of `minimumCases` at least.
    public init(
        _ name: String,
        defaultSeconds: Double = 3,
        minimumCases: Int = 100,
        takesTurns: Bool = true,
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) {
        self.name = name
        self.minimumCases = minimumCases
        self.takesTurns = takesTurns
        seed = environment["KEYROT_FUZZ_SEED"].flatMap(Self.parseSeed) ?? UInt64.random(in: .min ... .max)
        let seconds = environment["KEYROT_FUZZ_SECONDS"].flatMap(Double.init) ?? defaultSeconds
        duration = .milliseconds(Int64(max(seconds, 0.05) * 1000))
    }

    /// The outcome of a campaign: how much it tried and what broke.
    public struct Report: Sendable, CustomStringConvertible {
        public let name: String
        public let seed: UInt64
        public var cases = 0
        public var violations: [(seed: UInt64, message: String)] = []

        public var description: String {
            var lines = ["fuzz \(name): \(cases) cases from seed \(hex(seed)), \(violations.count) violations"]
            for violation in violations {
                lines.append("  KEYROT_FUZZ_SEED=\(hex(violation.seed)): \(violation.message)")
            }
            return lines.joined(separator: "\n")
        }
    }

    /// Runs `property` on fresh cases until the campaign's time is up, once it has its turn.
    public func run(_ property: (inout SeededGenerator) async throws -> Void) async -> Report {
        if takesTurns { await FuzzTurns.shared.take() }
        FileHandle.standardError.write(Data("fuzz \(name): seed \(hex(seed)), \(duration)\n".utf8))
        var report = Report(name: name, seed: seed)
        let clock = ContinuousClock()
        let deadline = clock.now + duration
        while clock.now < deadline || report.cases < minimumCases, report.violations.count < maximumViolations {
            let caseSeed = report.cases == 0 ? seed : Self.seed(ofCase: report.cases, from: seed)
            var generator = SeededGenerator(seed: caseSeed)
            do { try await property(&generator) } catch { report.violations.append((caseSeed, "\(error)")) }
            report.cases += 1
            // Between cases, whatever else waits for one of the few threads of Swift concurrency's pool runs first
            // (an in-process server under test, say): a campaign's property may never suspend on its own.
            await Task.yield()
        }
        FileHandle.standardError.write(Data("\(report)\n".utf8))
        if takesTurns { await FuzzTurns.shared.give() }
        return report
    }

    private static func seed(ofCase index: Int, from seed: UInt64) -> UInt64 {
        var generator = SeededGenerator(seed: seed &+ UInt64(index))
        return generator.next()
    }

    private static func parseSeed(_ text: String) -> UInt64? {
        text.hasPrefix("0x") ? UInt64(text.dropFirst(2), radix: 16) : UInt64(text)
    }
}

private func hex(_ value: UInt64) -> String { "0x" + String(value, radix: 16) }
