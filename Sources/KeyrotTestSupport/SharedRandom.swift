import Foundation
import NIOConcurrencyHelpers

/// One seeded random source shared by a test's tasks: the seed comes from an environment variable when given, else
/// it is drawn, and it is printed before the first draw, so a failing run's choices can be made again.
///
/// - Important: The same seed gives the same sequence of draws. What wall-clock timing decides does not replay: where
///   exactly a kill lands, and, when several tasks draw, which of them gets which draw.
public final class SharedRandom: Sendable {
    public let seed: UInt64
    private let generator: NIOLockedValueBox<SeededGenerator>

    /// - Parameter variable: the environment variable that sets the seed (decimal or `0x` hex).
    public init(name: String, seedVariable variable: String) {
        let given = ProcessInfo.processInfo.environment[variable].flatMap { text in
            text.hasPrefix("0x") ? UInt64(text.dropFirst(2), radix: 16) : UInt64(text)
        }
        seed = given ?? UInt64.random(in: .min ... .max)
        generator = NIOLockedValueBox(SeededGenerator(seed: seed))
        FileHandle.standardError.write(Data("\(name): seed \(variable)=0x\(String(seed, radix: 16))\n".utf8))
    }

    /// A value drawn with the shared generator.
    public func draw<T>(_ body: (inout SeededGenerator) -> T) -> T {
        generator.withLockedValue { body(&$0) }
    }
}
