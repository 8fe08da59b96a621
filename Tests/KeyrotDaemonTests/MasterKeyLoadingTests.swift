import Foundation
import KeyrotCore
import KeyrotDaemon
import KeyrotTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

@Suite struct MasterKeyLoadingTests {
    @Test func devModeGeneratesAPrivateMasterKeyAndKeepsUsingIt() throws {
        let fixture = try DaemonFixture()
        _ = try fixture.startDevelopmentDaemon()
        let keyFile = fixture.directory.path("state/master.key")
        let attributes = try FileManager.default.attributesOfItem(atPath: keyFile)
        #expect((attributes[.posixPermissions] as? Int) == 0o600)
        #expect((attributes[.size] as? Int) == 32)
        let stateAttributes = try FileManager.default.attributesOfItem(atPath: fixture.stateDirectory)
        #expect((stateAttributes[.posixPermissions] as? Int) == 0o700)
        let firstKey = try Data(contentsOf: URL(fileURLWithPath: keyFile))
        _ = try fixture.startDevelopmentDaemon()
        #expect(try Data(contentsOf: URL(fileURLWithPath: keyFile)) == firstKey)
        #expect(fixture.allLogText.contains("DEVELOPMENT MODE"))
    }

    @Test func outsideDevModeAMissingCredentialIsNamed() throws {
        let fixture = try DaemonFixture()
        #expect {
            try Daemon(
                options: DaemonOptions(stateDirectory: fixture.stateDirectory, environment: [:], journal: .off),
                clock: fixture.clock,
                logger: fixture.logger
            )
        } throws: { error in
            let error = error as? DaemonError
            return error?.exitCode == 78 && "\(error!)".contains("CREDENTIALS_DIRECTORY")
                && "\(error!)".contains("master-key")
        }
        let credentials = fixture.directory.path("credentials")
        try FileManager.default.createDirectory(atPath: credentials, withIntermediateDirectories: true)
        #expect {
            try Daemon(
                options: DaemonOptions(
                    stateDirectory: fixture.stateDirectory,
                    environment: ["CREDENTIALS_DIRECTORY": credentials]
                ),
                clock: fixture.clock,
                logger: fixture.logger
            )
        } throws: { error in
            "\(error)".contains("missing from $CREDENTIALS_DIRECTORY (\(credentials))")
        }
    }

    @Test func theSystemdCredentialIsUsedInHexOrRawForm() throws {
        let fixture = try DaemonFixture()
        let credentials = fixture.directory.path("credentials")
        try FileManager.default.createDirectory(atPath: credentials, withIntermediateDirectories: true)
        try PrivateFile.write(Data((String(repeating: "ab", count: 32) + "\n").utf8), to: credentials + "/master-key")
        let options = DaemonOptions(
            stateDirectory: fixture.stateDirectory,
            configurationFile: try fixture.configurationFile(),
            environment: ["CREDENTIALS_DIRECTORY": credentials],
            journal: .off
        )
        _ = try Daemon(options: options, clock: fixture.clock, logger: fixture.logger)
        // The same key in raw form opens the same database.
        try PrivateFile.write(Data(repeating: 0xAB, count: 32), to: credentials + "/master-key")
        _ = try Daemon(options: options, clock: fixture.clock, logger: fixture.logger)
        #expect(try fixture.shell("SELECT count(*) FROM workspaces") == "1")
        // systemd may grant the service's user read access through an ACL, which shows as group bits: a
        // credential's mode is systemd's business, unlike a --master-key-file's.
        #expect(chmod(credentials + "/master-key", 0o440) == 0)
        _ = try Daemon(options: options, clock: fixture.clock, logger: fixture.logger)
        #expect(throws: DaemonError.self) {
            try Daemon(
                options: DaemonOptions(
                    stateDirectory: fixture.stateDirectory,
                    configurationFile: try fixture.configurationFile(),
                    masterKeyFile: credentials + "/master-key",
                    environment: [:],
                    journal: .off
                ),
                clock: fixture.clock,
                logger: fixture.logger
            )
        }
    }

    @Test(arguments: [
        Data([1, 2, 3]), Data(repeating: 0x41, count: 33), Data(String(repeating: "zz", count: 32).utf8),
    ])
    func aMalformedMasterKeyFileIsRefused(contents: Data) throws {
        let fixture = try DaemonFixture()
        let keyFile = fixture.directory.path("bad.key")
        try PrivateFile.write(contents, to: keyFile)
        #expect {
            try Daemon(
                options: DaemonOptions(
                    stateDirectory: fixture.stateDirectory,
                    masterKeyFile: keyFile,
                    environment: [:],
                    journal: .off
                ),
                clock: fixture.clock,
                logger: fixture.logger
            )
        } throws: { error in
            guard case DaemonError.masterKeyInvalid(keyFile, let problem) = error else { return false }
            return problem.contains("32 raw bytes or 64 hex digits")
        }
    }

    @Test func theWrongMasterKeyIsRefusedAndTouchesNothing() throws {
        let fixture = try DaemonFixture()
        _ = try fixture.startDevelopmentDaemon()
        let before = try fixture.shell("SELECT count(*) FROM audit_log; SELECT count(*) FROM keys")
        let wrongKey = fixture.directory.path("wrong.key")
        try PrivateFile.write(Data(repeating: 7, count: 32), to: wrongKey)
        #expect {
            try Daemon(
                options: DaemonOptions(
                    development: true,
                    stateDirectory: fixture.stateDirectory,
                    configurationFile: try fixture.configurationFile(),
                    masterKeyFile: wrongKey,
                    environment: [:],
                    journal: .off
                ),
                clock: fixture.clock,
                logger: fixture.logger
            )
        } throws: { error in
            guard case DaemonError.databaseRefused(let message) = error else { return false }
            return message.contains("master key does not open") && (error as? DaemonError)?.exitCode == 78
        }
        #expect(try fixture.shell("SELECT count(*) FROM audit_log; SELECT count(*) FROM keys") == before)
    }
}
