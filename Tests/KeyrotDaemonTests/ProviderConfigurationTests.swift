import KeyrotCore
import KeyrotDaemon
import Testing

/// `provider = ...`, `[workspace.NAME.intercom]` and `[access] providers`, as the issue names them.
@Suite struct ProviderConfigurationTests {
    static func parse(_ text: String) throws(DaemonError) -> DaemonConfiguration {
        try DaemonConfiguration(toml: text, file: "keyrotd.toml")
    }

    @Test func theDocumentedExampleParses() throws {
        let configuration = try Self.parse(
            """
            [workspace.acme]
            rotate_every = "30d"
            grace = "7d"
            provider = "intercom"

            [workspace.acme.intercom]
            api_base = "https://api.intercom.io"
            token_credential = "intercom-acme"
            platforms = ["web"]

            [workspace.legacy]
            provider = "hook:/usr/local/lib/keyrotd/hook"

            [access]
            providers = ["uid:keyrotd-provider", "group:keyrotd-provider"]
            """
        )
        let acme = try WorkspaceName("acme")
        #expect(configuration.workspaces[acme]?.provider == .intercom)
        let intercom = try #require(configuration.intercom[acme])
        #expect(intercom.apiBase == "https://api.intercom.io")
        #expect(intercom.tokenCredential == "intercom-acme")
        #expect(intercom.platforms == ["web"])
        #expect(intercom.timeout == .seconds(10))
        #expect(
            configuration.workspaces[try WorkspaceName("legacy")]?.provider
                == .hook(path: "/usr/local/lib/keyrotd/hook")
        )
        #expect(configuration.providers == ["uid:keyrotd-provider", "group:keyrotd-provider"])
        #expect(configuration.hasProviders)
    }

    @Test func defaultsFillAnIntercomWorkspaceWithoutItsTable() throws {
        let configuration = try Self.parse("[workspace.acme]\nprovider = \"intercom\"\n")
        let intercom = try #require(configuration.intercom[try WorkspaceName("acme")])
        #expect(intercom.apiBase == "https://api.intercom.io")
        #expect(intercom.tokenCredential == "intercom-acme")
        #expect(intercom.platforms == ["web"])
        #expect(!(try Self.parse("[workspace.acme]\n")).hasProviders)
    }

    @Test(arguments: [
        ("https://api.eu.intercom.io", true),
        ("https://api.au.intercom.io/", true),
        ("http://127.0.0.1:8080", true),
        ("http://localhost:9", true),
        ("http://[::1]:9", true),
        ("http://10.0.0.1", false),  // a token must not cross a network in the clear
        ("http://api.intercom.io", false),
        ("http://127.0.0.1.example.com", false),
        ("ftp://api.intercom.io", false),
        ("https://user@api.intercom.io", false),
        ("api.intercom.io", false),
    ])
    func plainHTTPGoesOnlyToLoopback(apiBase: String, allowed: Bool) {
        let text = """
            [workspace.acme]
            provider = "intercom"
            [workspace.acme.intercom]
            api_base = "\(apiBase)"
            """
        let parsed = (try? Self.parse(text)) != nil
        #expect(parsed == allowed, "\(apiBase)")
    }

    @Test(arguments: [
        ("[workspace.acme]\nprovider = \"stripe\"\n", "provider"),
        ("[workspace.acme]\nprovider = \"hook:relative/path\"\n", "absolute path"),
        ("[workspace.acme]\n[workspace.acme.intercom]\ntoken_credential = \"x\"\n", "not \"intercom\""),
        (
            "[workspace.acme]\nprovider = \"intercom\"\n[workspace.acme.intercom]\nplatforms = [\"web\", \"desktop\"]\n",
            "platforms"
        ),
        ("[workspace.acme]\nprovider = \"intercom\"\n[workspace.acme.intercom]\nplatforms = []\n", "platforms"),
        (
            "[workspace.acme]\nprovider = \"intercom\"\n[workspace.acme.intercom]\ntoken_credential = \"../x\"\n",
            "credential name"
        ),
        ("[workspace.acme]\nprovider = \"intercom\"\n[workspace.acme.intercom]\ntoken = \"x\"\n", "unknown setting"),
        ("[workspace.acme]\nprovider = \"intercom\"\nalgorithm = \"HS512\"\n", "HS256"),
        ("[access]\nproviders = [\"keyrotd-provider\"]\n", "providers"),
    ])
    func mistakesAreRefusedWithTheSettingNamed(text: String, expected: String) {
        do {
            _ = try Self.parse(text)
            Issue.record("accepted: \(text)")
        } catch {
            #expect(error.description.contains(expected), "\(error.description)")
        }
    }
}
