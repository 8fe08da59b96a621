/// The value of an extra token claim a caller may add: a string, a number or a boolean (no nesting).
public enum ClaimValue: Hashable, Sendable, Codable {
    case string(String)
    case number(Double)
    case bool(Bool)

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Double.self) {
            self = .number(value)
        } else {
            self = .string(try container.decode(String.self))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .string(let value): try container.encode(value)
        case .number(let value) where value.rounded() == value && abs(value) < 9e15: try container.encode(Int64(value))
        case .number(let value): try container.encode(value)
        case .bool(let value): try container.encode(value)
        }
    }
}
