#if canImport(Glibc)
import Glibc
#endif

/// Whether the process's standard error is systemd's journal stream (`$JOURNAL_STREAM`, set by systemd for
/// `StandardError=journal`), so that logs should go to the journal as structured entries instead.
public enum JournalStream {
    /// True when `$JOURNAL_STREAM` names the device and inode of the open standard error, as systemd.exec(5)
    /// says to check (a child whose standard error was redirected inherits the variable, not the stream).
    public static func standardErrorIsJournal(environment: [String: String]) -> Bool {
        guard let value = environment["JOURNAL_STREAM"], let (device, inode) = parse(value) else { return false }
        var status = stat()
        guard fstat(STDERR_FILENO, &status) == 0 else { return false }
        return UInt64(status.st_dev) == device && UInt64(status.st_ino) == inode
    }

    /// `DEVICE:INODE`, both decimal, as systemd writes it.
    static func parse(_ value: String) -> (device: UInt64, inode: UInt64)? {
        let parts = value.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, let device = UInt64(parts[0]), let inode = UInt64(parts[1]) else { return nil }
        return (device, inode)
    }
}
