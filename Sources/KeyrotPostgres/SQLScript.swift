/// A migration file cut into its statements: PostgreSQL's extended query protocol, which PostgresNIO speaks, runs one
/// statement at a time.
///
/// Cuts at each `;` outside a `--` comment, a `'…'` string, a `"…"` identifier and a `$tag$…$tag$` body (a
/// function's), which is all the migrations use.
struct SQLScript {
    let statements: [String]

    init(_ text: String) {
        var statements: [String] = []
        var current = ""
        var characters = Array(text)[...]
        while let character = characters.popFirst() {
            switch character {
            case "-" where characters.first == "-":
                while let next = characters.first, next != "\n" { characters.removeFirst() }
            case "'", "\"":
                current.append(character)
                while let next = characters.popFirst() {
                    current.append(next)
                    if next == character { break }
                }
            case "$":
                let tag = characters.prefix { $0 != "$" && ($0.isLetter || $0.isNumber || $0 == "_") }
                guard characters.dropFirst(tag.count).first == "$" else {
                    current.append(character)
                    continue
                }
                let delimiter = "$" + String(tag) + "$"
                current += delimiter
                characters = characters.dropFirst(tag.count + 1)
                while !characters.isEmpty, !characters.starts(with: delimiter) {
                    current.append(characters.removeFirst())
                }
                current += delimiter
                characters = characters.dropFirst(delimiter.count)
            case ";":
                statements.append(current)
                current = ""
            default:
                current.append(character)
            }
        }
        statements.append(current)
        self.statements = statements.map { $0.trimmingWhitespace }.filter { !$0.isEmpty }
    }
}

extension String {
    fileprivate var trimmingWhitespace: String {
        String(drop { $0.isWhitespace }.reversed().drop { $0.isWhitespace }.reversed())
    }
}
