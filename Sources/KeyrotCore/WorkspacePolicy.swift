/// How a workspace's keys are rotated, how its tokens are signed and checked, and who may sign them.
///
/// - Important: Build one with ``init(algorithm:rotateEvery:grace:tokenTTL:maxTokenTTL:)``, which checks
///   that the spans make sense together.
public struct WorkspacePolicy: Hashable, Sendable {
    public var algorithm: SigningAlgorithm
    /// How long a key stays active before a scheduled rotation replaces it.
    public var rotateEvery: TimeSpan
    /// How long a replaced key keeps verifying (at least; see ``KeyLifecycle/graceUntil(now:grace:tokensValidUntil:)``).
    public var grace: TimeSpan
    /// The lifetime of a token when the caller asks for none.
    public var tokenTTL: TimeSpan
    /// The longest lifetime a caller may ask for.
    public var maxTokenTTL: TimeSpan
    /// Whether a token must name its key (`kid`); when false, a token without one is tried against every
    /// verifying key (Intercom-style signers send no `kid`).
    public var requireKeyID: Bool
    /// How far `exp`, `nbf` and `iat` may be off, for clocks that disagree.
    public var clockSkew: TimeSpan
    /// Who besides administrators may sign and verify tokens for the workspace.
    public var signers: [Principal]
    /// Who makes the workspace's secrets when the verifier must know them (nil: keyrotd generates them).
    public var provider: ProviderKind?

    public init(
        algorithm: SigningAlgorithm,
        rotateEvery: TimeSpan,
        grace: TimeSpan,
        tokenTTL: TimeSpan,
        maxTokenTTL: TimeSpan,
        requireKeyID: Bool = false,
        clockSkew: TimeSpan = .seconds(60),
        signers: [Principal] = [],
        provider: ProviderKind? = nil
    ) throws(KeyrotError) {
        guard rotateEvery.seconds >= 1 else { throw .invalidPolicy("rotate_every must be at least 1s") }
        guard grace.seconds >= 0 else { throw .invalidPolicy("grace must not be negative") }
        guard tokenTTL.seconds >= 1 else { throw .invalidPolicy("token_ttl must be at least 1s") }
        guard clockSkew.seconds >= 0 else { throw .invalidPolicy("clock_skew must not be negative") }
        guard maxTokenTTL >= tokenTTL else {
            throw .invalidPolicy("max_token_ttl (\(maxTokenTTL)) is shorter than token_ttl (\(tokenTTL))")
        }
        // Intercom verifies HS256 only, with the secret it made (43 bytes: too short for HS384's 48 and HS512's 64).
        if provider == .intercom, algorithm != .hs256 {
            throw .invalidPolicy("an intercom workspace signs with HS256, the algorithm Intercom verifies")
        }
        self.algorithm = algorithm
        self.rotateEvery = rotateEvery
        self.grace = grace
        self.tokenTTL = tokenTTL
        self.maxTokenTTL = maxTokenTTL
        self.requireKeyID = requireKeyID
        self.clockSkew = clockSkew
        self.signers = signers
        self.provider = provider
    }

    /// keyrotd's built-in defaults: HS256, rotate every 30 days, 7 days of grace, 1 h tokens (at most 24 h),
    /// `kid` optional, 60 s of clock skew.
    public static let standard = try! WorkspacePolicy(
        algorithm: .hs256,
        rotateEvery: .days(30),
        grace: .days(7),
        tokenTTL: .hours(1),
        maxTokenTTL: .hours(24)
    )

    /// This policy for a workspace created over the control socket: all of it but the provider. A provider's
    /// settings (`[workspace.NAME.intercom]`) are declared with its workspace in the configuration, so a workspace
    /// made otherwise has none, whatever `[defaults]` names.
    public var withoutProvider: WorkspacePolicy {
        var policy = self
        policy.provider = nil
        return policy
    }
}

extension WorkspacePolicy: CustomStringConvertible {
    /// The settings by their configuration-file names, in file order.
    var settings: [(name: String, value: String)] {
        [
            ("algorithm", algorithm.rawValue), ("rotate_every", "\(rotateEvery)"), ("grace", "\(grace)"),
            ("token_ttl", "\(tokenTTL)"), ("max_token_ttl", "\(maxTokenTTL)"), ("require_kid", "\(requireKeyID)"),
            ("clock_skew", "\(clockSkew)"),
            ("signers", signers.isEmpty ? "none" : signers.map(\.description).joined(separator: ",")),
            ("provider", provider?.description ?? "none"),
        ]
    }

    /// The policy in the config file's own words: `algorithm=HS256 rotate_every=30d grace=7d ...`.
    public var description: String {
        settings.map { "\($0.name)=\($0.value)" }.joined(separator: " ")
    }

    /// What changes from this policy to `new`, setting by setting: `rotate_every 30d -> 2s, grace 7d -> 3s`.
    public func changes(to new: WorkspacePolicy) -> String {
        zip(settings, new.settings)
            .filter { $0.value != $1.value }
            .map { "\($0.name) \($0.value) -> \($1.value)" }
            .joined(separator: ", ")
    }
}
