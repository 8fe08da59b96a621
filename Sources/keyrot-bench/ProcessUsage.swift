import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// What the kernel says a running process uses, read from `/proc/PID/status` and `/proc/PID/stat`.
struct ProcessUsage {
    /// Resident memory now (`VmRSS`), in bytes.
    var residentBytes: Int
    /// The highest resident memory so far (`VmHWM`), in bytes.
    var peakResidentBytes: Int
    /// CPU time spent so far, user and system (`utime + stime`).
    var cpuSeconds: Double
    /// Threads (`Threads`).
    var threads: Int

    /// The usage of process `pid`, or nil if it cannot be read (the process is gone).
    init?(pid: Int32) {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
            let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = stat.lastIndex(of: ")")
        else { return nil }
        func kilobytes(_ field: String) -> Int? {
            guard let line = status.split(separator: "\n").first(where: { $0.hasPrefix(field + ":") }) else {
                return nil
            }
            return line.split(whereSeparator: { $0 == " " || $0 == "\t" }).dropFirst().first.flatMap { Int($0) }
        }
        // After the command name in parentheses: state (field 3), ..., utime (14), stime (15).
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        guard let rss = kilobytes("VmRSS"), let hwm = kilobytes("VmHWM"), let threads = kilobytes("Threads"),
            fields.count > 12, let user = Double(fields[11]), let system = Double(fields[12])
        else { return nil }
        residentBytes = rss * 1024
        peakResidentBytes = hwm * 1024
        self.threads = threads
        cpuSeconds = (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
    }

    /// `12.3 MiB`.
    static func mebibytes(_ bytes: Int) -> String {
        String(format: "%.1f MiB", Double(bytes) / 1_048_576)
    }
}
