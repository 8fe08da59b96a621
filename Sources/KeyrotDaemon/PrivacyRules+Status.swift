import KeyrotCore

#if canImport(Glibc)
import Glibc
#endif

extension PrivacyRules {
    /// Fails with ``DaemonError/notPrivate(path:problem:)`` unless the rules allow `status` (from `stat(2)` of
    /// `path`) for this process.
    static func require(_ kind: Kind, at path: String, _ status: stat) throws(DaemonError) {
        if let problem = problem(
            with: kind,
            at: path,
            mode: status.st_mode,
            ownerUID: status.st_uid,
            processUID: geteuid()
        ) {
            throw .notPrivate(path: path, problem: problem)
        }
    }
}
