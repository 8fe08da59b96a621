import KeyrotCore
import KeyrotDaemon
import Testing

@Suite struct ConfigurationTests {
    static let sample = """
        [defaults]
        algorithm = "HS256"
        rotate_every = "30d"
        grace = "7d"
        token_ttl = "1h"

        [workspace.acme]
        rotate_every = "2s"
        grace = "3s"

        [workspace.billing]
        algorithm = "HS512"
        token_ttl = "2d"
        require_kid = true
        clock_skew = "5s"
        signers = ["uid:1001", "group:webapp"]

        [access]
        admin_group = "keyrotd-admin"

        [control]
        max_connections = 32
        idle_timeout = "2min"
        """

    @Test func workspacesInheritTheDefaultsTheyDoNotOverride() throws {
        let configuration = try DaemonConfiguration(toml: Self.sample, file: "keyrotd.toml")
        #expect(configuration.defaults == .standard)
        let acme = try #require(configuration.workspaces[try WorkspaceName("acme")])
        #expect(
            acme.description
                == "algorithm=HS256 rotate_every=2s grace=3s token_ttl=1h max_token_ttl=1d require_kid=false clock_skew=1min signers=none provider=none"
        )
        let billing = try #require(configuration.workspaces[try WorkspaceName("billing")])
        #expect(
            billing.description
                == "algorithm=HS512 rotate_every=30d grace=7d token_ttl=2d max_token_ttl=2d require_kid=true clock_skew=5s signers=uid:1001,group:webapp provider=none"
        )
    }

    @Test func accessAndControlSettingsAreRead() throws {
        let configuration = try DaemonConfiguration(toml: Self.sample, file: "keyrotd.toml")
        #expect(configuration.adminGroup == "keyrotd-admin")
        #expect(configuration.controlLimits.maximumConnections == 32)
        #expect(configuration.controlLimits.idleTimeout == .seconds(120))
        #expect(configuration.controlLimits.maximumMessageSize == 64 * 1024)
    }

    @Test func anEmptyFileMeansTheBuiltInDefaultsAndNoWorkspaces() throws {
        #expect(try DaemonConfiguration(toml: "", file: "empty.toml") == DaemonConfiguration())
    }

    @Test func theEmbeddedDevelopmentConfigurationHasADemoWorkspace() throws {
        let configuration = try DaemonConfiguration(toml: DaemonConfiguration.developmentDefault, file: "embedded")
        #expect(configuration.workspaces[try WorkspaceName("demo")]?.rotateEvery == .minutes(1))
    }

    @Test(
        arguments: [
            ("[workspace.acme]\nrotate_every = \"2x\"", "[workspace.acme] rotate_every", "unknown unit 'x'"),
            ("[workspace.acme]\nrotate_evry = \"2s\"", "[workspace.acme] rotate_evry", "unknown setting"),
            ("[defaults]\nalgorithm = \"none\"", "[defaults] algorithm", "not HS256, HS384 or HS512"),
            ("[defaults]\ngrace = 7", "[defaults] grace", "must be a string"),
            ("[defaults]\nrequire_kid = \"yes\"", "[defaults] require_kid", "must be true or false"),
            ("[defaults]\nsigners = [\"root\"]", "[defaults] signers", "uid:NUMBER or group:NAME"),
            ("[defaults]\nsigners = \"uid:1\"", "[defaults] signers", "list of strings"),
            ("[access]\nadmins = \"x\"", "[access] admins", "unknown setting"),
            ("[control]\nmax_connections = 0", "[control] max_connections", "1 to 65536"),
            ("[control]\nidle_timeout = \"soon\"", "[control] idle_timeout", "from 1s to 1d"),
            ("[control]\nidle_timeout = \"300y\"", "[control] idle_timeout", "from 1s to 1d"),
            ("[workspace.Acme]\ngrace = \"1s\"", "[workspace.Acme]", "invalid workspace name"),
            ("[defaults]\ntoken_ttl = \"2h\"\nmax_token_ttl = \"1h\"", "[defaults]", "shorter than token_ttl"),
            ("[workspace.acme]\nrotate_every = \"0s\"", "[workspace.acme]", "at least 1s"),
            ("[defautls]\ngrace = \"1s\"", "defautls", "unknown setting"),
            ("workspace = 3", "workspace", "must be tables"),
            ("[workspace.acme\n", nil, "line 1"),
        ] as [(String, String?, String)]
    )
    func aBadConfigurationNamesTheFileTheSettingAndTheProblem(toml: String, key: String?, problem: String) {
        #expect {
            try DaemonConfiguration(toml: toml, file: "/etc/keyrotd/keyrotd.toml")
        } throws: { error in
            guard case DaemonError.configuration(let file, let reportedKey, let reportedProblem) = error else {
                return false
            }
            return file == "/etc/keyrotd/keyrotd.toml" && reportedKey == key && reportedProblem.contains(problem)
                && (error as? DaemonError)?.exitCode == 78
        }
    }
}
