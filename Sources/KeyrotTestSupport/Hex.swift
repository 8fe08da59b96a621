/// Hex for tests: known-answer vectors, SQLite's `hex()` output, master key files, the forms of a secret.
extension Array where Element == UInt8 {
    /// The bytes of `hex`, two digits a byte, either case.
    /// - Precondition: `hex` has an even number of hex digits and nothing else.
    public init(hex: String) {
        var bytes: [UInt8] = []
        var index = hex.startIndex
        while index < hex.endIndex {
            let next = hex.index(index, offsetBy: 2)
            bytes.append(UInt8(hex[index..<next], radix: 16)!)
            index = next
        }
        self = bytes
    }

    /// The bytes as lowercase hex, two digits a byte.
    public var hex: String {
        map { byte in
            let digits = String(byte, radix: 16)
            return digits.count == 1 ? "0" + digits : digits
        }.joined()
    }
}
