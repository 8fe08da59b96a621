import CLinux

#if canImport(Glibc)
import Glibc
#endif

/// What a process that holds key material does first: files it creates are its owner's alone, and it is not
/// dumpable, so no core dump (nor a debugger or `/proc/PID/mem` reader of the same uid) gets the keys in its memory.
public enum SecretProcess {
    /// `umask(077)` and `prctl(PR_SET_DUMPABLE, 0)`; false if the kernel refused the latter.
    @discardableResult
    public static func harden() -> Bool {
        umask(0o077)
        return keyrot_set_undumpable() == 0
    }
}
