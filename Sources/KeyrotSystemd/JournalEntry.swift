/// One structured journal entry: `MESSAGE=`, `PRIORITY=` and any further fields, in order.
///
/// Field names are made valid as journald requires (upper-case letters, digits and underscores, not starting
/// with an underscore or a digit, at most 64 characters); a name that cannot be made valid is dropped. Values may
/// hold any text, newlines included.
public struct JournalEntry: Hashable, Sendable {
    /// One field: a valid name and its value.
    public struct Field: Hashable, Sendable {
        public var name: String
        public var value: String
    }

    public private(set) var fields: [Field]

    public init(message: String, priority: JournalPriority) {
        fields = [Field(name: "MESSAGE", value: message), Field(name: "PRIORITY", value: "\(priority.rawValue)")]
    }

    /// Adds a field; `name` is normalized first (`keyrot.workspace` becomes `KEYROT_WORKSPACE`).
    public mutating func append(_ name: String, _ value: String) {
        guard let valid = Self.fieldName(name) else { return }
        fields.append(Field(name: valid, value: value))
    }

    /// The value of the first field called `name`.
    public subscript(name: String) -> String? {
        fields.first { $0.name == name }?.value
    }

    /// `name` as a valid journal field name, or nil if nothing of it is usable.
    public static func fieldName(_ name: String) -> String? {
        var characters = name.uppercased().unicodeScalars.map { scalar -> Character in
            switch scalar {
            case "A"..."Z", "0"..."9": Character(scalar)
            default: "_"
            }
        }
        while let first = characters.first, first == "_" || first.isNumber { characters.removeFirst() }
        guard !characters.isEmpty else { return nil }
        return String(characters.prefix(64))
    }
}
