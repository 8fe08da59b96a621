import Foundation
import KeyrotCore
import KeyrotDaemon
import KeyrotTestSupport
import Testing

@Suite struct ReloadTests {
    @Test func aReloadPutsNewWorkspacesAndDefaultsInForce() throws {
        let fixture = try DaemonFixture()
        let file = try fixture.configurationFile()
        let daemon = try fixture.startDevelopmentDaemon(configuration: file)
        try
            (DaemonFixture.acmeConfiguration
            + "\n[defaults]\nrotate_every = \"12h\"\n[workspace.beta]\ngrace = \"1h\"\n")
            .write(toFile: file, atomically: true, encoding: .utf8)
        #expect(daemon.reload() == nil)
        #expect(
            try fixture.shell("SELECT name, rotate_every_seconds FROM workspaces ORDER BY name") == "acme|2\nbeta|43200"
        )
        #expect(daemon.settings.defaults.rotateEvery == .hours(12))
        #expect(daemon.configuration.workspaces.count == 2)
        #expect(fixture.allLogText.contains("configuration reloaded"))
    }

    @Test(arguments: [
        ("[workspace.acme]\nrotate_every = \"soon\"\n", "[workspace.acme] rotate_every"),
        ("[access]\nadmin_group = \"no-such-group-here\"\n", "there is no group"),
        ("this is not toml", "keyrotd.toml"),
    ])
    func aBadConfigurationIsRejectedWholeAndTheOneInForceStays(text: String, problem: String) throws {
        let fixture = try DaemonFixture()
        let file = try fixture.configurationFile()
        let daemon = try fixture.startDevelopmentDaemon(configuration: file)
        let before = try fixture.shell("SELECT count(*) FROM audit_log")
        try ("[workspace.gamma]\n" + text).write(toFile: file, atomically: true, encoding: .utf8)
        let rejection = try #require(daemon.reload())
        #expect(rejection.contains(problem), "\(rejection)")
        #expect(try fixture.shell("SELECT name FROM workspaces") == "acme", "nothing of a rejected file is applied")
        #expect(try fixture.shell("SELECT count(*) FROM audit_log") == before)
        #expect(daemon.status.line.contains("last reload rejected"))
        #expect(fixture.logs.entries.contains { $0.metadata["keyrot.event"] == "reload_failed" })
    }
}
