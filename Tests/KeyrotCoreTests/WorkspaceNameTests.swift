import KeyrotCore
import Testing

@Suite struct WorkspaceNameTests {
    @Test(arguments: ["acme", "a", "tenant-42", "web_app", "0day", String(repeating: "x", count: 64)])
    func acceptsSafeNames(name: String) throws {
        #expect(try WorkspaceName(name).rawValue == name)
    }

    @Test(arguments: [
        "", "Acme", "-acme", "_acme", "ac me", "acme.1", "acme/1", "ümlaut", "a\u{0}b",
        String(repeating: "x", count: 65),
    ])
    func rejectsUnsafeNames(name: String) {
        #expect(throws: KeyrotError.invalidWorkspaceName(name)) { try WorkspaceName(name) }
    }
}
