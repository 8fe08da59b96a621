import CSystemd

#if canImport(Glibc)
import Glibc
#endif

/// Reads entries back from the local journal (sd-journal(3)): the audit hashes keyrotd sent, to compare with its
/// database.
///
/// - Important: Blocking (it reads journal files): call it where blocking is allowed. A reader without access to
///   the system journal (not root, not in `systemd-journal`) sees only what it may, which may be nothing.
public enum JournalReader {
    /// One entry's value of each of `fields` (nil where the entry lacks it).
    public typealias Values = [String: String]

    /// The values of `fields` of every local entry whose `matchField` is `matchValue`, oldest first.
    ///
    /// - Throws: ``SystemdError/journalUnreadable(errno:)`` if the journal cannot be opened or read.
    public static func entries(
        where matchField: String,
        is matchValue: String,
        fields: [String]
    ) throws(SystemdError) -> [Values] {
        var journal: OpaquePointer?
        var status = sd_journal_open(&journal, CInt(SD_JOURNAL_LOCAL_ONLY))
        guard status >= 0, let journal else { throw .journalUnreadable(errno: -status) }
        defer { sd_journal_close(journal) }
        let match = Array("\(matchField)=\(matchValue)".utf8)
        status = match.withUnsafeBytes { sd_journal_add_match(journal, $0.baseAddress, $0.count) }
        guard status >= 0 else { throw .journalUnreadable(errno: -status) }
        var found: [Values] = []
        while true {
            status = sd_journal_next(journal)
            guard status >= 0 else { throw .journalUnreadable(errno: -status) }
            if status == 0 { return found }
            var values: Values = [:]
            for field in fields {
                var data: UnsafeRawPointer?
                var length = 0
                guard sd_journal_get_data(journal, field, &data, &length) >= 0, let data else { continue }
                // "FIELD=value": the value follows the name and its "=".
                let bytes = UnsafeRawBufferPointer(start: data, count: length).dropFirst(field.utf8.count + 1)
                values[field] = String(decoding: bytes, as: UTF8.self)
            }
            found.append(values)
        }
    }
}
