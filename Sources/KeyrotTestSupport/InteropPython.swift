import Foundation

/// The Python that interoperability tests run (PyJWT, the `varlink` package): `$KEYROT_PYTHON`, else `python3`.
///
/// README's test command makes a virtual environment with those packages and points `KEYROT_PYTHON` at it.
public enum InteropPython {
    public static var executable: String {
        ProcessInfo.processInfo.environment["KEYROT_PYTHON"] ?? "python3"
    }

    /// Runs `script` with `input` on standard input.
    public static func run(_ script: String, input: String = "") throws -> ProcessResult {
        try ProcessResult.run(executable, ["-c", script], input: input)
    }
}
