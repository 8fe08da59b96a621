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

    @Test func theStoreIsSQLiteUnlessAPostgreSQLDatabaseIsNamed() throws {
        #expect(try DaemonConfiguration(toml: "", file: "keyrotd.toml").store == .sqlite)
        #expect(try DaemonConfiguration(toml: "[store]\nbackend = \"sqlite\"", file: "keyrotd.toml").store == .sqlite)
        let url = "postgresql://keyrotd@10.0.0.5:5432/keyrotd?sslmode=require"
        let toml = "[store]\nbackend = \"postgresql\"\nurl = \"\(url)\""
        #if PostgreSQL
        #expect(try DaemonConfiguration(toml: toml, file: "keyrotd.toml").store == .postgresql(url: url))
        #else
        #expect {
            try DaemonConfiguration(toml: toml, file: "keyrotd.toml")
        } throws: { error in
            "\(error)".contains("built without PostgreSQL")
        }
        #endif
    }

    #if PostgreSQL
    @Test(arguments: [
        ("postgresql://k:secret@db/k", "must not carry a password"),
        ("mysql://k@db/k", "postgresql://"),
        ("postgresql://db/k", "names no user"),
        ("postgresql://k@db", "names no database"),
        ("postgresql://k@db/k?sslmode=maybe", "sslmode"),
        ("postgresql://k@db/k?application_name=x", "unknown parameter"),
    ])
    func aBadStoreURLIsRefusedWithWhatIsWrong(url: String, problem: String) {
        #expect {
            try DaemonConfiguration(
                toml: "[store]\nbackend = \"postgresql\"\nurl = \"\(url)\"",
                file: "/etc/keyrotd/keyrotd.toml"
            )
        } throws: { error in
            guard case DaemonError.configuration(_, "[store] url", let reported) = error else { return false }
            return reported.contains(problem) && !reported.contains("secret")
        }
    }
    #endif

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
            ("[store]\nbackend = \"mysql\"", "[store] backend", "must be \"sqlite\" or \"postgresql\""),
            ("[store]\nbackend = \"postgresql\"", "[store] url", "needs url"),
            ("[store]\nurl = \"postgresql://k@db/k\"", "[store] url", "only a postgresql backend"),
            ("[store]\npath = \"/tmp/x.db\"", "[store] path", "unknown setting"),
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
