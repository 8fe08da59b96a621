/// Mutations of byte strings, the way a fuzzer makes hostile inputs from valid ones: bit flips, byte inserts and
/// deletes, splices with other inputs, truncation, repetition to overlong lengths, deep nesting, and fragments
/// parsers are known to choke on (NUL, invalid UTF-8, numbers no machine type holds, look-alike Unicode).
public struct ByteMutator: Sendable {
    /// Valid inputs to splice from.
    public var corpus: [[UInt8]]
    /// The longest input worth making: a little over the parser's own limit (longer ones only cost time). Repetition
    /// and nesting grow up to it; every result is cut to it.
    public var maximumLength: Int

    public init(corpus: [[UInt8]], maximumLength: Int) {
        self.corpus = corpus
        self.maximumLength = maximumLength
    }

    /// Fragments that broke parsers before: each is inserted whole, or replaces a run of digits.
    public static let hostileFragments: [[UInt8]] =
        [
            [0], [0xFF], [0x80], [0xC0, 0x80], [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80], [0xE2, 0x82],
            [0xCC, 0x81], [0xE2, 0x80, 0x8D], [0xD8, 0x80], [0xEF, 0xBB, 0xBF], [0x0D, 0x0A],
        ]
        + [
            #"\u0000"#, #"\ud800"#, #"\udc00\ud800"#, "1e400", "-1e400", "1e-400", "-0", "-0.0", "18446744073709551616",
            "9223372036854775808", "-9223372036854775809", "1" + String(repeating: "0", count: 400), "NaN",
            "Infinity", "0." + String(repeating: "0", count: 400) + "1", "1E+308", "4.9e-324", ".", "..", "\"",
            "\\", "{", "}", "[", "]", ",", ":", "null", "true", "[]", "{}", "\"\":", #""a":"#,
        ].map { Array($0.utf8) }

    /// `input` changed by one to four random mutations.
    public func mutate(_ input: [UInt8], using generator: inout SeededGenerator) -> [UInt8] {
        var bytes = input
        for _ in 0..<Int.random(in: 1...4, using: &generator) {
            mutateOnce(&bytes, using: &generator)
            if bytes.count > maximumLength { bytes.removeSubrange(maximumLength...) }
        }
        return bytes
    }

    private func mutateOnce(_ bytes: inout [UInt8], using generator: inout SeededGenerator) {
        let position = Int.random(in: 0...bytes.count, using: &generator)
        switch Int.random(in: 0..<11, using: &generator) {
        case 0 where !bytes.isEmpty:
            bytes[position % bytes.count] ^= 1 << UInt8.random(in: 0..<8, using: &generator)
        case 1 where !bytes.isEmpty:
            bytes[position % bytes.count] = UInt8.random(in: .min ... .max, using: &generator)
        case 2:
            bytes.insert(UInt8.random(in: .min ... .max, using: &generator), at: position)
        case 3 where !bytes.isEmpty:
            let end = min(bytes.count, position + Int.random(in: 1...16, using: &generator))
            bytes.removeSubrange(min(position, bytes.count - 1)..<end)
        case 4:
            bytes.removeSubrange(position...)
        case 5:
            let end = min(bytes.count, position + Int.random(in: 1...8, using: &generator))
            let run = Array(bytes[position..<end])
            let times = [2, 100, maximumLength / max(1, run.count)].randomElement(using: &generator)!
            bytes.insert(contentsOf: Self.repeated(run, times), at: position)
        case 6:
            guard let other = corpus.randomElement(using: &generator) else { return }
            let cut = Int.random(in: 0...other.count, using: &generator)
            bytes = Array(bytes[..<position]) + other[cut...]
        case 7:
            bytes.insert(contentsOf: Self.hostileFragments.randomElement(using: &generator)!, at: position)
        case 8:
            replaceDigits(in: &bytes, at: position, using: &generator)
        case 9:
            let opener = [Array("[".utf8), Array(#"{"a":"#.utf8)].randomElement(using: &generator)!
            // 500 stays under JSONDecoder's limit of 512 levels, where costs that grow with depth show; 600 is over it.
            let depth = [8, 500, 600, maximumLength / opener.count].randomElement(using: &generator)!
            bytes.insert(contentsOf: Self.repeated(opener, depth), at: position)
        default:
            bytes.insert(contentsOf: Self.hostileFragments.randomElement(using: &generator)!, at: position)
        }
    }

    /// `run` `times` over, built by doubling (a fuzzer makes many of these, some tens of kilobytes long).
    private static func repeated(_ run: [UInt8], _ times: Int) -> [UInt8] {
        guard !run.isEmpty, times > 0 else { return [] }
        var result = run
        result.reserveCapacity(run.count * times)
        while result.count < run.count * times { result += result.prefix(run.count * times - result.count) }
        return result
    }

    /// Replaces the first run of ASCII digits at or after `position` (if any) with a hostile fragment.
    private func replaceDigits(in bytes: inout [UInt8], at position: Int, using generator: inout SeededGenerator) {
        let isDigit = { (byte: UInt8) in (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) }
        guard let start = bytes[position...].firstIndex(where: isDigit) ?? bytes.firstIndex(where: isDigit) else {
            return
        }
        let end = bytes[start...].firstIndex { !isDigit($0) } ?? bytes.endIndex
        bytes.replaceSubrange(start..<end, with: Self.hostileFragments.randomElement(using: &generator)!)
    }
}
