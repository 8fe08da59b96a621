import Foundation

/// Finds key material in what the test suite left behind: every file of every test directory moved aside under
/// `$KEYROT_LEAK_CAPTURE` (logs, CLI output, journal files, databases), searched for each secret as raw bytes, hex
/// (either case), base64 and base64url, at every alignment within a longer encoded text.
public enum LeakSweep {
    /// Where ``TemporaryDirectory/remove()`` moves test directories during a capturing run.
    public static let captureVariable = "KEYROT_LEAK_CAPTURE"
    /// Set (to the capture directory) for the run that sweeps it.
    public static let sweepVariable = "KEYROT_LEAK_SWEEP"
    /// A file of known secrets a test made itself (imported keys), base64, one a line.
    public static let knownSecretsFile = "known-secrets"

    /// Appends `secret` to the known secrets of the test directory at `directory`.
    public static func record(secret: [UInt8], in directory: TemporaryDirectory) {
        let line = Data((Data(secret).base64EncodedString() + "\n").utf8)
        let path = directory.path(knownSecretsFile)
        if let handle = FileHandle(forWritingAtPath: path) {
            handle.seekToEndOfFile()
            handle.write(line)
            try? handle.close()
        } else {
            try? line.write(to: URL(fileURLWithPath: path))
        }
    }

    /// The byte strings whose presence in a file means `secret` leaked into it.
    public static func forms(of secret: [UInt8]) -> [[UInt8]] {
        var forms: [[UInt8]] = [secret]
        forms.append(Array(secret.hex.utf8))
        forms.append(Array(secret.hex.uppercased().utf8))
        // Inside a longer base64 text the secret starts at one of three offsets of a 3-byte group: encode it from
        // each of its first three bytes on, and keep the characters that do not depend on its neighbours.
        for skip in 0..<3 {
            let encoded = Data(secret.dropFirst(skip)).base64EncodedString()
            let stable = String(encoded.dropLast(4))
            forms.append(Array(stable.utf8))
            forms.append(
                Array(stable.replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").utf8)
            )
        }
        return forms
    }
}

extension LeakSweep {
    /// Searches bytes for many secrets' forms at once: an index of each form's first 8 bytes, one pass a file.
    public struct Matcher: Sendable {
        private let forms: [UInt64: [(secret: Int, form: [UInt8])]]

        /// - Parameter secrets: what must not appear; forms shorter than 16 bytes are not searched (too common).
        public init(secrets: [[UInt8]]) {
            var forms: [UInt64: [(secret: Int, form: [UInt8])]] = [:]
            for (index, secret) in secrets.enumerated() {
                for form in LeakSweep.forms(of: secret) where form.count >= 16 {
                    forms[Self.prefix(form[...]), default: []].append((index, form))
                }
            }
            self.forms = forms
        }

        /// The indices of the secrets some form of which appears in `bytes`.
        public func secrets(in bytes: [UInt8]) -> Set<Int> {
            var found: Set<Int> = []
            guard bytes.count >= 16 else { return found }
            bytes.withUnsafeBufferPointer { buffer in
                // The last 8 bytes read, as one number: the key of the forms that would start 8 bytes back.
                var window: UInt64 = 0
                for end in 0..<buffer.count {
                    window = window << 8 | UInt64(buffer[end])
                    guard end >= 7, let candidates = forms[window] else { continue }
                    let start = end - 7
                    for (secret, form) in candidates
                    where start + form.count <= buffer.count
                        && buffer[start..<(start + form.count)].elementsEqual(form)
                    {
                        found.insert(secret)
                    }
                }
            }
            return found
        }

        private static func prefix(_ bytes: some Collection<UInt8>) -> UInt64 {
            bytes.prefix(8).reduce(0) { $0 << 8 | UInt64($1) }
        }
    }
}
