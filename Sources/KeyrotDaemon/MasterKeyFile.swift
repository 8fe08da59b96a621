import Foundation
import KeyrotCore
import KeyrotCrypto

#if canImport(Glibc)
import Glibc
#endif

/// Reads and writes the master key file: 32 raw bytes (`openssl rand 32`), or 64 hex digits and an optional
/// newline (`openssl rand -hex 32`).
///
/// - Important: The bytes go straight from `read(2)` into ``KeyrotCrypto/SecretBytes``; no other copy is made.
enum MasterKeyFile {
    /// Loads the key at `path`, once ``KeyrotCore/PrivacyRules`` allow its mode and owner for what it is (`kind`).
    static func load(path: String, kind: PrivacyRules.Kind = .masterKeyFile) throws(DaemonError) -> MasterKey {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else {
            throw .masterKeyInvalid(path: path, problem: String(cString: strerror(errno)))
        }
        defer { close(descriptor) }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else {
            throw .masterKeyInvalid(path: path, problem: String(cString: strerror(errno)))
        }
        try PrivacyRules.require(kind, at: path, status)
        let limit = 66
        var length = 0
        var readError: Int32 = 0
        let raw = SecretBytes(count: limit + 1) { buffer in
            while length <= limit {
                let n = read(descriptor, buffer.baseAddress! + length, limit + 1 - length)
                if n > 0 {
                    length += n
                } else if n < 0, errno == EINTR {
                    continue
                } else {
                    readError = n < 0 ? errno : 0
                    break
                }
            }
        }
        guard readError == 0 else {
            throw .masterKeyInvalid(path: path, problem: "cannot read it: \(String(cString: strerror(readError)))")
        }
        let problem = "expected 32 raw bytes or 64 hex digits (make one with: (umask 077 && openssl rand -out FILE 32))"
        let key: SecretBytes? = raw.withUnsafeBytes { bytes in
            let content = bytes.prefix(length)
            if content.count == MasterKey.length { return SecretBytes(copying: content) }
            let hex = content.last == 0x0A ? content.dropLast() : content[...]
            guard hex.count == 2 * MasterKey.length else { return nil }
            var valid = true
            let decoded = SecretBytes(count: MasterKey.length) { output in
                for index in 0..<MasterKey.length {
                    let high = hexValue(hex[hex.startIndex + 2 * index])
                    let low = hexValue(hex[hex.startIndex + 2 * index + 1])
                    guard let high, let low else {
                        valid = false
                        return
                    }
                    output[index] = high << 4 | low
                }
            }
            return valid ? decoded : nil
        }
        guard let key else { throw .masterKeyInvalid(path: path, problem: problem) }
        do { return try MasterKey(key) } catch { throw .masterKeyInvalid(path: path, problem: problem) }
    }

    /// Writes `key` as 32 raw bytes to a new file of mode 0600 at `path`; fails if the file exists.
    static func create(path: String, key: MasterKey) throws(DaemonError) {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            throw .masterKeyInvalid(path: path, problem: "cannot create: \(String(cString: strerror(errno)))")
        }
        defer { close(descriptor) }
        let written = key.withUnsafeBytes { bytes in write(descriptor, bytes.baseAddress, bytes.count) }
        guard written == MasterKey.length, fsync(descriptor) == 0 else {
            unlink(path)
            throw .masterKeyInvalid(path: path, problem: "cannot write: \(String(cString: strerror(errno)))")
        }
    }

    /// Replaces the key at `path` with `key` atomically: written to a new file beside it, synced, renamed over it,
    /// and the directory synced, so a crash leaves the old file or the new one.
    static func replace(path: String, key: MasterKey) throws(DaemonError) {
        let staging = path + ".new"
        unlink(staging)
        try create(path: staging, key: key)
        guard rename(staging, path) == 0 else {
            let problem = String(cString: strerror(errno))
            unlink(staging)
            throw .masterKeyInvalid(path: path, problem: "cannot replace it: \(problem)")
        }
        let directory = open((path as NSString).deletingLastPathComponent, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if directory >= 0 {
            fsync(directory)
            close(directory)
        }
    }

    private static func hexValue(_ digit: UInt8) -> UInt8? {
        switch digit {
        case 0x30...0x39: digit - 0x30
        case 0x61...0x66: digit - 0x61 + 10
        case 0x41...0x46: digit - 0x41 + 10
        default: nil
        }
    }
}
