/// A verifier's API for the secrets it checks tokens with: list them, create one, delete one. Intercom's is the
/// reference; a hook executable is any other.
public protocol SecretProvider: Sendable {
    /// Every secret the provider holds (never their material).
    func list() async throws(ProviderCallError) -> [ListedSecret]
    /// Creates a secret named `name`; its material is returned only here, once.
    func create(name: String) async throws(ProviderCallError) -> CreatedSecret
    /// Deletes secret `id`; false if the provider has no such secret (deleted already: as good as done).
    func delete(id: String) async throws(ProviderCallError) -> Bool
}

/// A secret as a provider lists it.
public struct ListedSecret: Hashable, Sendable {
    public var id: String
    public var name: String
    public var createdAt: Int64?

    public init(id: String, name: String, createdAt: Int64?) {
        self.id = id
        self.name = name
        self.createdAt = createdAt
    }
}

/// A secret just created: its id and its material, which goes to keyrotd and nowhere else.
public struct CreatedSecret: Sendable {
    public var id: String
    /// The provider's string exactly as returned.
    public var secret: String

    public init(id: String, secret: String) {
        self.id = id
        self.secret = secret
    }
}
