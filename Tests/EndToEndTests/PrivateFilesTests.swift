import Foundation
import KeyrotTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// keyrotd's secrets stay its own on disk and in memory: a master key file or state directory open to others is
/// refused (exit 78, naming the file and the fix), what keyrotd creates is its owner's alone whatever the umask it
/// was started with, and the process is not dumpable.
@Suite(.serialized) struct PrivateFilesTests {
    func run(_ directory: TemporaryDirectory, _ extra: [String]) async throws -> ProcessResult {
        try "[workspace.acme]\n".write(toFile: directory.path("keyrotd.toml"), atomically: true, encoding: .utf8)
        return try await ProcessResult.runOffPool(
            DaemonProcess.builtBinary,
            ["--state-dir", directory.path("state"), "--config", directory.path("keyrotd.toml")] + extra
        )
    }

    @Test func aMasterKeyFileOthersCanReadIsRefused() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let key = directory.path("master.key")
        try PrivateFile.write(Data(repeating: 7, count: 32), to: key)
        #expect(chmod(key, 0o640) == 0)
        let result = try await run(directory, ["--master-key-file", key])
        #expect(result.status == 78)
        #expect(result.standardError.contains("\(key) is not private enough"), "\(result.standardError)")
        #expect(result.standardError.contains("mode 0640") && result.standardError.contains("chmod 600 \(key)"))
        #expect(!FileManager.default.fileExists(atPath: directory.path("state/keyrotd.db")), "nothing was made")
    }

    @Test(.enabled(if: Repository.runningAsRoot, "needs root to give the file away"))
    func aMasterKeyFileAStrangerOwnsIsRefused() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let key = directory.path("master.key")
        try PrivateFile.write(Data(repeating: 7, count: 32), to: key)
        #expect(chown(key, 65534, 65534) == 0)
        let result = try await run(directory, ["--master-key-file", key])
        #expect(result.status == 78)
        #expect(result.standardError.contains("owned by uid 65534"), "\(result.standardError)")
        #expect(result.standardError.contains("chown root: \(key)"))
    }

    @Test func aStateDirectoryOthersCanEnterIsRefused() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try FileManager.default.createDirectory(
            atPath: directory.path("state"),
            withIntermediateDirectories: true,
            attributes: [.posixPermissions: 0o755]
        )
        let result = try await run(directory, ["--dev"])
        #expect(result.status == 78)
        #expect(
            result.standardError.contains("mode 0755")
                && result.standardError.contains("chmod 700 \(directory.path("state"))")
        )
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path("state")).isEmpty)
    }

    @Test func whatKeyrotdCreatesIsItsOwnersAloneWhateverItsUmask() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try "[workspace.acme]\n".write(toFile: directory.path("keyrotd.toml"), atomically: true, encoding: .utf8)
        let daemon = try DaemonProcess(
            executable: "/bin/sh",
            arguments: [
                "-c", "umask 000 && exec \"$0\" \"$@\"", DaemonProcess.builtBinary, "--dev", "--state-dir",
                directory.path("state"), "--config", directory.path("keyrotd.toml"), "--socket",
                directory.path("control.sock"),
            ],
            logFile: directory.path("log")
        )
        #expect(
            try await DaemonProcess.eventually(timeout: 20) {
                (try? RawSocket(path: directory.path("control.sock"))) != nil
            }
        )
        let mode = { (name: String) in
            (try? FileManager.default.attributesOfItem(atPath: directory.path(name))[.posixPermissions]) as? Int
        }
        #expect(mode("state") == 0o700)
        for file in ["state/keyrotd.db", "state/keyrotd.db-wal", "state/keyrotd.db-shm", "state/master.key"] {
            #expect(mode(file) == 0o600, "\(file): \(mode(file).map { String($0, radix: 8) } ?? "missing")")
        }
        daemon.send(SIGTERM)
        #expect(try await daemon.waitForExit(timeout: Sanitizer.limit(2)) == 0, "\(daemon.log)")
    }

    /// Not dumpable: the kernel then gives the process's `/proc/PID` files to root, whoever the process runs as,
    /// makes no core dump of it, and lets no process of the same uid ptrace it or read its memory.
    @Test(.enabled(if: Repository.runningAsRoot, "needs root to run the daemon as another user"))
    func keyrotdIsNotDumpable() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        #expect(chown(directory.path, 65534, 65534) == 0)
        try "[workspace.acme]\n".write(toFile: directory.path("keyrotd.toml"), atomically: true, encoding: .utf8)
        let daemon = try DaemonProcess(
            executable: "/usr/bin/setpriv",
            arguments: [
                "--reuid=65534", "--regid=65534", "--clear-groups", "--", DaemonProcess.builtBinary, "--dev",
                "--state-dir", directory.path("state"), "--config", directory.path("keyrotd.toml"), "--socket",
                directory.path("control.sock"),
            ],
            logFile: directory.path("log")
        )
        #expect(
            try await DaemonProcess.eventually(timeout: 20) {
                (try? RawSocket(path: directory.path("control.sock"))) != nil
            },
            "\(daemon.log)"
        )
        let status = try String(contentsOfFile: "/proc/\(daemon.pid)/status", encoding: .utf8)
        #expect(status.contains("Uid:\t65534\t65534\t65534\t65534"), "\(status)")
        var info = stat()
        #expect(stat("/proc/\(daemon.pid)/mem", &info) == 0)
        #expect(info.st_uid == 0, "/proc/PID/mem of a dumpable process belongs to its own uid")
        // A process of the same uid cannot read its memory.
        let peek = try await ProcessResult.runOffPool(
            "/usr/bin/setpriv",
            [
                "--reuid=65534", "--regid=65534", "--clear-groups", "--", "/usr/bin/head", "-c", "1",
                "/proc/\(daemon.pid)/environ",
            ]
        )
        #expect(peek.status != 0, "\(peek.standardOutput)")
        daemon.send(SIGTERM)
        #expect(try await daemon.waitForExit(timeout: Sanitizer.limit(2)) == 0, "\(daemon.log)")
    }
}
