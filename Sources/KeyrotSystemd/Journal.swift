import CSystemd

/// The system journal, written through sd_journal_sendv(3).
///
/// - Important: Sending never blocks the caller for long and never fails it: without a running journald the
///   entry is dropped and the error returned, for the caller to note once if it cares.
public enum Journal {
    /// Sends `entry`; returns 0, or the negative errno sd_journal_sendv(3) reported.
    @discardableResult
    public static func send(_ entry: JournalEntry) -> CInt {
        var buffer: [UInt8] = []
        var ranges: [Range<Int>] = []
        for field in entry.fields {
            let start = buffer.count
            buffer.append(contentsOf: field.name.utf8)
            buffer.append(UInt8(ascii: "="))
            buffer.append(contentsOf: field.value.utf8)
            ranges.append(start..<buffer.count)
        }
        return buffer.withUnsafeMutableBytes { bytes in
            let base = bytes.baseAddress!
            var vectors = ranges.map { range in
                iovec(iov_base: base + range.lowerBound, iov_len: range.count)
            }
            return sd_journal_sendv(&vectors, CInt(vectors.count))
        }
    }
}
