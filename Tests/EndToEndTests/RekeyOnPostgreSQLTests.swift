#if PostgreSQL
import Foundation
import KeyrotTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// `keyrotd rekey` on a PostgreSQL store: refused while any keyrotd sharing the store runs (asked from another
/// host), then every key re-sealed in one audited transaction; the old master key opens nothing afterwards.
@Suite(.serialized, .enabled(if: PostgresServer.isAvailable, "no PostgreSQL server is installed"))
struct RekeyOnPostgreSQLTests {
    @Test func aSharedStoreIsReSealedOnlyWithEveryHostStoppedAndTheOldKeyOpensNothingAfterwards() async throws {
        let server = try await PostgresServer.shared()
        let url = try await server.makeDatabase()
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let configuration = directory.path("keyrotd.toml")
        try "[store]\nbackend = \"postgresql\"\nurl = \"\(url)\"\n[workspace.acme]\n[workspace.beta]\n"
            .write(toFile: configuration, atomically: true, encoding: .utf8)
        let (old, new) = (directory.path("old.key"), directory.path("new.key"))
        for file in [old, new] {
            try PrivateFile.write(Data((0..<32).map { _ in UInt8.random(in: 0...255) }), to: file)
        }
        let socket = directory.path("a.sock")
        func serve(_ masterKey: String, log: String) throws -> DaemonProcess {
            try DaemonProcess(
                arguments: [
                    "--state-dir", directory.path("a-state"), "--master-key-file", masterKey, "--socket", socket,
                    "--config", configuration,
                ],
                logFile: directory.path(log)
            )
        }
        // Asked from a host that runs no keyrotd (no state directory): only the store can say one runs.
        func rekey() async throws -> ProcessResult {
            try await ProcessResult.runOffPool(
                DaemonProcess.builtBinary,
                [
                    "rekey", "--state-dir", directory.path("b-state"), "--config", configuration,
                    "--master-key-file", old, "--new-master-key-file", new,
                ]
            )
        }
        let rotatedMasterKey = "SELECT count(*) FROM audit_log WHERE event = 'master_key_rotated'"

        let running = try serve(old, log: "a.log")
        #expect(
            try await DaemonProcess.eventually(timeout: Sanitizer.limit(20)) {
                running.log.contains("this keyrotd now runs the schedule")
            },
            "log: \(running.log)"
        )
        let signed = try await ProcessResult.runOffPool(
            DaemonProcess.builtControlBinary,
            ["--socket", socket, "sign", "acme", "--user-id", "before"]
        )
        #expect(signed.status == 0, "\(signed.standardError)")
        let refused = try await rekey()
        #expect(refused.status == 78)
        #expect(refused.standardError.contains("stop keyrotd on every host"), "\(refused.standardError)")
        #expect(try await server.psql(database: url, rotatedMasterKey) == "0")
        running.send(SIGTERM)
        #expect(try await running.waitForExit(timeout: Sanitizer.limit(10)) == 0)

        let done = try await rekey()
        #expect(done.status == 0, "\(done.standardError)")
        #expect(done.standardOutput.contains("re-sealed 2 keys under the new master key"), "\(done.standardOutput)")
        #expect(done.standardOutput.contains("on every host"))
        #expect(try await server.psql(database: url, rotatedMasterKey) == "1")
        #expect(try await server.psql(database: url, "SELECT count(*) FROM audit_chain_breaks") == "0")
        let again = try await rekey()
        #expect(again.status == 0, "\(again.standardError)")
        #expect(again.standardOutput.contains("sealed under the new master key already"))
        #expect(try await server.psql(database: url, rotatedMasterKey) == "1")

        let withOld = try serve(old, log: "old.log")
        #expect(try await withOld.waitForExit(timeout: Sanitizer.limit(20)) == 78)
        #expect(withOld.log.contains("master key does not open"), "\(withOld.log)")
        let withNew = try serve(new, log: "new.log")
        #expect(
            try await DaemonProcess.eventually(timeout: Sanitizer.limit(20)) {
                FileManager.default.fileExists(atPath: socket) && withNew.log.contains("keyrotd initialized")
            },
            "log: \(withNew.log)"
        )
        let verified = try await ProcessResult.runOffPool(
            DaemonProcess.builtControlBinary,
            [
                "--socket", socket, "verify", "acme",
                signed.standardOutput.trimmingCharacters(in: .whitespacesAndNewlines),
            ]
        )
        #expect(verified.status == 0, "\(verified.standardError)")
        withNew.send(SIGTERM)
        #expect(try await withNew.waitForExit(timeout: Sanitizer.limit(10)) == 0)
    }
}
#endif
