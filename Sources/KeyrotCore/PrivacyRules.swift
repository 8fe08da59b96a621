/// How private the files that hold keyrotd's secrets must be: the master key file and the state directory (the
/// database, its sealed keys and audit log) are the owner's alone, and a master key file belongs to root or to
/// keyrotd's own user; anyone else who could write it could hand keyrotd a key of their choosing.
public enum PrivacyRules {
    /// What a checked path holds.
    public enum Kind: Sendable {
        /// A master key file an operator made (`--master-key-file`, `--dev`'s own).
        case masterKeyFile
        /// The master key as a systemd credential (`$CREDENTIALS_DIRECTORY`): systemd makes it readable by the
        /// service alone, on a file system of its own, but may do so with an ACL for the service's user, which
        /// shows as group bits in the mode; so only its owner is checked.
        case credential
        case stateDirectory
    }

    /// Why `path`, with permission bits `mode` and owner `ownerUID`, may not hold secrets for a process running as
    /// `processUID`, with the command that fixes it; nil if it may.
    public static func problem(
        with kind: Kind,
        at path: String,
        mode: UInt32,
        ownerUID: UInt32,
        processUID: UInt32
    ) -> String? {
        let permissions = mode & 0o7777
        switch kind {
        case .masterKeyFile, .credential:
            if ownerUID != 0 && ownerUID != processUID {
                return "the file is owned by uid \(ownerUID), not by root or keyrotd's user (uid \(processUID)): "
                    + "anyone who can replace it chooses the master key; fix: chown root: \(path)"
            }
            if kind == .masterKeyFile, permissions & 0o077 != 0 {
                return "the file is open to other users (mode \(octal(permissions))): fix: chmod 600 \(path)"
            }
        case .stateDirectory:
            if permissions & 0o077 != 0 {
                return "the directory is open to other users (mode \(octal(permissions))): fix: chmod 700 \(path)"
            }
        }
        return nil
    }

    private static func octal(_ mode: UInt32) -> String {
        let digits = String(mode, radix: 8)
        return String(repeating: "0", count: max(0, 4 - digits.count)) + digits
    }
}
