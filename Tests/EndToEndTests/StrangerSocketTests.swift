import Foundation
import KeyrotTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The security review's socket squatter: another local user listens at `./keyrotd-dev/control.sock` (the socket
/// keyrotctl falls back to when the system's is absent) to collect an imported secret, or to answer `verify` with
/// "valid". keyrotctl checks who serves a socket before it sends a byte.
@Suite(.serialized) struct StrangerSocketTests {
    /// A listener that writes every byte it receives to `received` and answers nothing.
    static let listener = """
        import os, socket, sys
        path, received = sys.argv[1], sys.argv[2]
        server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        server.bind(path)
        server.listen(16)
        while True:
            connection, _ = server.accept()
            data = connection.recv(65536)
            with open(received, "ab") as out:
                out.write(data)
            connection.close()
        """

    @Test(.enabled(if: Repository.runningAsRoot, "needs root to listen as another uid"))
    func keyrotctlSendsNothingToASocketAnotherUserServes() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let development = directory.path("keyrotd-dev")
        try FileManager.default.createDirectory(atPath: development, withIntermediateDirectories: true)
        #expect(chown(development, 65534, 65534) == 0)
        let squatter = try SpawnedProcess(
            "/usr/bin/setpriv",
            [
                "--reuid=65534", "--regid=65534", "--clear-groups", "--", "/usr/bin/python3", "-c", Self.listener,
                development + "/control.sock", development + "/received",
            ],
            logFile: directory.path("squatter.log")
        )
        defer { squatter.send(SIGKILL) }
        #expect(
            try await DaemonProcess.eventually(timeout: 10) {
                FileManager.default.fileExists(atPath: development + "/control.sock")
            },
            "\(squatter.log)"
        )
        var commands: [(arguments: String, input: String)] = [
            ("--socket keyrotd-dev/control.sock key import acme", "a-secret-for-acme-0123456789abcdef0123456789"),
            ("--socket keyrotd-dev/control.sock verify acme eyJhbGciOiJIUzI1NiJ9.e30.c2ln", ""),
        ]
        // Found by the fallback, when this machine has no system socket for keyrotctl to prefer.
        if !FileManager.default.fileExists(atPath: "/run/keyrotd/control.sock") {
            commands.append(("status", ""))
        }
        var environment = ProcessInfo.processInfo.environment
        environment["KEYROTD_SOCKET"] = nil
        for (arguments, input) in commands {
            let result = try await ProcessResult.runOffPool(
                "/bin/sh",
                ["-c", "cd '\(directory.path)' && exec '\(DaemonProcess.builtControlBinary)' \(arguments)"],
                input: input,
                environment: environment
            )
            #expect(result.status == 69, "\(arguments): \(result.standardOutput) \(result.standardError)")
            #expect(
                result.standardError.contains("is served by uid 65534 (nobody)")
                    && result.standardError.contains("nothing was sent"),
                "\(result.standardError)"
            )
        }
        // The squatter saw the connections, and not one byte.
        let received = (try? Data(contentsOf: URL(fileURLWithPath: development + "/received"))) ?? Data()
        #expect(received.isEmpty, "the squatter received \(received.count) bytes")
        #expect(squatter.log.isEmpty, "\(squatter.log)")
    }
}
