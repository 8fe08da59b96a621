/// A broken property: what was fed in and what came out, printable so the input can be put in a regression table.
public struct FuzzViolation: Error, CustomStringConvertible {
    public let description: String

    public init(_ message: String, input: some Collection<UInt8>) {
        description = "\(message); input: \(FuzzViolation.escaped(input))"
    }

    /// `bytes` quoted for a log: printable ASCII as is (`\` and `"` escaped), every other byte as `<HEX>`; long
    /// inputs cut after 600 bytes.
    public static func escaped(_ bytes: some Collection<UInt8>) -> String {
        let shown = bytes.prefix(600).map { byte -> String in
            switch byte {
            case UInt8(ascii: "\\"): "\\\\"
            case UInt8(ascii: "\""): "\\\""
            case 0x20..<0x7F: String(UnicodeScalar(byte))
            default: "<\(String(byte, radix: 16, uppercase: true))>"
            }
        }
        return "\"" + shown.joined() + (bytes.count > 600 ? "…(\(bytes.count) bytes)" : "") + "\""
    }
}
