#if canImport(Glibc)
import Glibc
#endif

/// Whether the tests run in a sanitized build (`swift test --sanitize=address` or `=thread`), found from the
/// sanitizer runtime linked into the test binary itself; the built `keyrotd` and `keyrotctl` beside it are built
/// the same way.
public enum Sanitizer {
    /// `"address"` or `"thread"`, or nil in a plain build.
    public static let active: String? = {
        let program = dlopen(nil, RTLD_NOW)
        defer { if let program { dlclose(program) } }
        if dlsym(program, "__asan_init") != nil { return "address" }
        if dlsym(program, "__tsan_init") != nil { return "thread" }
        return nil
    }()

    /// A limit of `seconds` on how fast a built binary must do something (exit after SIGTERM, say), widened five
    /// times in a sanitized build: its binaries run several times slower, and LeakSanitizer scans the whole heap at
    /// every exit. Only for limits a test states about the binaries' speed; the daemon's own timeouts stay as set.
    public static func limit(_ seconds: Double) -> Double { active == nil ? seconds : seconds * 5 }
}
