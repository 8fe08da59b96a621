import KeyrotCore

/// Shorthands for the core tests: a fixed epoch and keys built in one line.
enum Fixture {
    static let t0 = Timestamp(secondsSinceEpoch: 1_795_600_000)
    static let acme = try! WorkspaceName("acme")
    static let other = try! WorkspaceName("other")

    static func policy(rotateEvery: TimeSpan = .seconds(100), grace: TimeSpan = .seconds(30)) -> WorkspacePolicy {
        try! WorkspacePolicy(
            algorithm: .hs256,
            rotateEvery: rotateEvery,
            grace: grace,
            tokenTTL: .seconds(10),
            maxTokenTTL: .seconds(60)
        )
    }

    /// A key of the workspace its id names (`acme.1` belongs to `acme`).
    static func key(
        _ id: String,
        _ state: KeyState,
        activatedAt: Int64? = nil,
        graceUntil: Int64? = nil
    ) -> KeyRecord {
        KeyRecord(
            workspace: try! WorkspaceName(String(id.prefix { $0 != "." })),
            keyID: id,
            state: state,
            createdAt: t0,
            activatedAt: activatedAt.map { t0 + .seconds($0) },
            graceUntil: graceUntil.map { t0 + .seconds($0) }
        )
    }
}
