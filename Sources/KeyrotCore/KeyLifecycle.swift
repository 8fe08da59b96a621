/// The rules that decide the times of a key's transitions (DESIGN §3).
public enum KeyLifecycle {
    /// When a key replaced at `now` stops verifying: after the grace period, but never before the last token
    /// it signed expires, so a scheduled rotation kills no token early.
    public static func graceUntil(now: Timestamp, grace: TimeSpan, tokensValidUntil: Timestamp?) -> Timestamp {
        max(now + grace, tokensValidUntil ?? now)
    }

    /// When the workspace's active key falls due for its scheduled rotation.
    public static func rotationDue(activatedAt: Timestamp, policy: WorkspacePolicy) -> Timestamp {
        activatedAt + policy.rotateEvery
    }

    /// The id of a generated key: `<workspace>.<generation>`, e.g. `acme.17`.
    ///
    /// Readable, unique (the generation counts up per workspace, and the dot cannot occur in a workspace name),
    /// and derived from nothing secret.
    public static func keyID(workspace: WorkspaceName, generation: Int64) -> String {
        "\(workspace.rawValue).\(generation)"
    }
}
