/// Writes the few JSON values keyrotd puts in the claims it signs and in its hottest reply (strings and integers),
/// escaped per RFC 8259.
///
/// Writing only. keyrotd reads calls with `JSONDecoder`, and tokens too, but for the one form of claims it writes
/// itself (`TokenRules.canonicalClaims`).
public enum JSONText {
    private static let hex = Array("0123456789abcdef".utf8)

    /// Appends `text` as a JSON string, quotes included.
    public static func appendString(_ text: String, to output: inout [UInt8]) {
        output.append(UInt8(ascii: "\""))
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""): output += [UInt8(ascii: "\\"), UInt8(ascii: "\"")]
            case UInt8(ascii: "\\"): output += [UInt8(ascii: "\\"), UInt8(ascii: "\\")]
            case 0x0A: output += [UInt8(ascii: "\\"), UInt8(ascii: "n")]
            case 0x0D: output += [UInt8(ascii: "\\"), UInt8(ascii: "r")]
            case 0x09: output += [UInt8(ascii: "\\"), UInt8(ascii: "t")]
            case 0..<0x20:
                output += Array("\\u00".utf8) + [hex[Int(byte >> 4)], hex[Int(byte & 15)]]
            default: output.append(byte)
            }
        }
        output.append(UInt8(ascii: "\""))
    }

    /// Appends `"name":value` for an integer value.
    public static func appendMember(_ name: String, integer value: Int64, to output: inout [UInt8]) {
        appendString(name, to: &output)
        output.append(UInt8(ascii: ":"))
        output += Array(String(value).utf8)
    }
}
