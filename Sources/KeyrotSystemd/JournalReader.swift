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
    /// One entry: the values of the fields asked for (nil where the entry lacks one), and when the journal received
    /// it.
    public struct Entry: Sendable {
        public var values: [String: String]
        /// Microseconds since the epoch (`__REALTIME_TIMESTAMP`).
        public var receivedAt: UInt64
    }

    /// Every local entry that has each of `matches` (a field name and its value; all must hold), oldest first,
    /// with the values of `fields`.
    ///
    /// - Throws: ``SystemdError/journalUnreadable(errno:)`` if the journal cannot be opened or read.
    public static func entries(
        matching matches: [(field: String, value: String)],
        fields: [String]
    ) throws(SystemdError) -> [Entry] {
        var journal: OpaquePointer?
        var status = sd_journal_open(&journal, CInt(SD_JOURNAL_LOCAL_ONLY))
        guard status >= 0, let journal else { throw .journalUnreadable(errno: -status) }
        defer { sd_journal_close(journal) }
        for (field, value) in matches {
            let match = Array("\(field)=\(value)".utf8)
            status = match.withUnsafeBytes { sd_journal_add_match(journal, $0.baseAddress, $0.count) }
            guard status >= 0 else { throw .journalUnreadable(errno: -status) }
        }
        var found: [Entry] = []
        while true {
            status = sd_journal_next(journal)
            guard status >= 0 else { throw .journalUnreadable(errno: -status) }
            if status == 0 { return found }
            var values: [String: String] = [:]
            for field in fields {
                var data: UnsafeRawPointer?
                var length = 0
                guard sd_journal_get_data(journal, field, &data, &length) >= 0, let data else { continue }
                // "FIELD=value": the value follows the name and its "=".
                let bytes = UnsafeRawBufferPointer(start: data, count: length).dropFirst(field.utf8.count + 1)
                values[field] = String(decoding: bytes, as: UTF8.self)
            }
            var receivedAt: UInt64 = 0
            _ = sd_journal_get_realtime_usec(journal, &receivedAt)
            found.append(Entry(values: values, receivedAt: receivedAt))
        }
    }
}
