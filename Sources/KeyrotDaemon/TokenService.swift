import Foundation
import KeyrotCore
import KeyrotCrypto
import KeyrotStore
import NIOConcurrencyHelpers

/// Signs tokens with a workspace's active key and verifies them against its verifying keys, keeping each
/// workspace's keys unsealed in memory until the store changes that workspace.
///
/// - Important: Before a token leaves, the store has recorded that its key's tokens may live until its `exp`
///   (rounded up by ``watermarkSlack``), so a rotation's grace window never ends before a token it signed.
public final class TokenService: Sendable {
    /// How far past a token's `exp` the recorded bound is pushed, so steady signing writes at most about once
    /// per slack interval per key, at the cost of a grace window up to this much longer than needed.
    public static let watermarkSlack = TimeSpan.seconds(60)

    /// One workspace's keys as the service uses them: the store snapshot and the opened secrets.
    private struct Unsealed: Sendable {
        let keys: WorkspaceKeys
        /// Each key's HMAC, keyed once, by key id (pending, active and grace keys).
        let macs: [String: HMACKey]
        /// The header segments keyrotd writes for the keys that may verify, so its own tokens skip header parsing.
        let knownHeaders: [Substring: KnownHeader]
        /// The header segment of the signing key's tokens, made once.
        let signingHeader: String?
        /// The signing key's HMAC-SHA256, for `user_hash` (its token MAC when the key is HS256).
        let userHashMAC: HMACKey?
        /// The keys refused in memory when this was made (``refuseInMemory(_:of:)``).
        let refused: Set<String>
    }

    private let store: any KeyStore
    let masterKey: MasterKey
    private let cache = NIOLockedValueBox(Cache())

    /// What the service holds in memory, under one lock (one acquisition per sign or verify).
    private struct Cache {
        /// Each workspace's keys as last read and opened.
        var unsealed: [WorkspaceName: Unsealed] = [:]
        /// Keys revoked in memory only, by workspace, while the store cannot take their revocation.
        var refusals: [WorkspaceName: Set<String>] = [:]
    }

    public init(store: any KeyStore, masterKey: MasterKey) {
        self.store = store
        self.masterKey = masterKey
    }

    /// A token for `request`, signed with the workspace's active key at `now`.
    ///
    /// - Parameter mayBlock: whether it may read the store and record the key's token bound; without, it signs only
    ///   from keys in memory whose recorded bound covers the token, and throws ``BlockingRequired`` otherwise.
    /// - Throws: ``KeyrotCore/KeyrotError`` for an unknown workspace or a bad request, or a store error.
    public func sign(
        _ request: TokenRequest,
        for workspace: WorkspaceName,
        at now: Timestamp,
        mayBlock: Bool = true
    ) throws -> SignedToken {
        for _ in 0..<3 {
            let prepared = try prepare(
                request,
                for: workspace,
                with: try keys(of: workspace, mayBlock: mayBlock),
                at: now
            )
            if let bound = prepared.boundToRecord {
                guard mayBlock else { throw BlockingRequired() }
                let recorded: Bool
                do {
                    recorded = try store.recordTokensValid(until: bound, keyID: prepared.key.keyID, of: workspace)
                } catch .databaseUnreachable {
                    // A host cut off from the store several hosts share keeps signing with what it has; the bound
                    // is bookkeeping, and no rotation of this key can be recorded from here meanwhile.
                    recorded = true
                }
                guard recorded else { continue }  // rotated meanwhile: sign with the new key
            }
            return finish(prepared, at: now)
        }
        throw KeyrotError.invalidTokenRequest("the workspace kept rotating while signing; try again")
    }

    /// A token about to be signed: the key, the signing input, and the bound to record first, if any.
    private struct Prepared {
        let key: KeyRecord
        let mac: HMACKey
        let input: String
        let expiresAt: Timestamp
        let boundToRecord: Timestamp?
    }

    private func prepare(
        _ request: TokenRequest,
        for workspace: WorkspaceName,
        with unsealed: Unsealed,
        at now: Timestamp
    ) throws -> Prepared {
        guard let key = unsealed.keys.ring.signingKey, let mac = unsealed.macs[key.keyID] else {
            throw KeyrotError.noSigningKey(workspace: workspace.rawValue)
        }
        let (input, expiresAt) = try TokenRules.signingInput(
            for: request,
            key: key,
            policy: unsealed.keys.policy,
            now: now,
            headerSegment: unsealed.signingHeader
        )
        let covered = expiresAt <= key.tokensValidUntil ?? Timestamp(secondsSinceEpoch: 0)
        return Prepared(
            key: key,
            mac: mac,
            input: input,
            expiresAt: expiresAt,
            boundToRecord: covered ? nil : expiresAt + Self.watermarkSlack
        )
    }

    private func finish(_ prepared: Prepared, at now: Timestamp) -> SignedToken {
        let signature = prepared.mac.authenticationCode(for: prepared.input.utf8)
        return SignedToken(
            token: TokenRules.token(signingInput: prepared.input, signature: signature),
            keyID: prepared.key.keyID,
            issuedAt: now,
            expiresAt: prepared.expiresAt
        )
    }

    /// Intercom's legacy `user_hash` for `userID` under the workspace's active key, and that key's id.
    ///
    /// - Parameter mayBlock: whether it may read the store; without, it answers only from keys in memory, and
    ///   throws ``BlockingRequired`` when they are not.
    /// - Throws: ``KeyrotCore/KeyrotError`` for an unknown workspace, a bad user id, or no active key.
    public func userHash(
        for userID: String,
        in workspace: WorkspaceName,
        mayBlock: Bool = true
    ) throws -> (userHash: String, keyID: String) {
        try TokenRules.validateUserHashUserID(userID)
        let unsealed = try keys(of: workspace, mayBlock: mayBlock)
        guard let key = unsealed.keys.ring.signingKey, let mac = unsealed.userHashMAC else {
            throw KeyrotError.noSigningKey(workspace: workspace.rawValue)
        }
        return (TokenRules.userHash(mac: mac.authenticationCode(for: userID.utf8)), key.keyID)
    }

    /// Checks `token` against the workspace's keys at `now`.
    ///
    /// - Parameter mayBlock: whether it may read the store; without, it checks only against keys in memory, and
    ///   throws ``BlockingRequired`` when they are not.
    public func verify(
        _ token: String,
        for workspace: WorkspaceName,
        at now: Timestamp,
        mayBlock: Bool = true
    ) throws -> Result<VerifiedToken, TokenFailure> {
        verify(token, with: try keys(of: workspace, mayBlock: mayBlock), at: now)
    }

    private func verify(
        _ token: String,
        with unsealed: Unsealed,
        at now: Timestamp
    ) -> Result<VerifiedToken, TokenFailure> {
        TokenRules.verify(
            token,
            ring: unsealed.keys.ring,
            policy: unsealed.keys.policy,
            now: now,
            knownHeaders: unsealed.knownHeaders
        ) { key, input, signature in
            guard let mac = unsealed.macs[key.keyID], mac.algorithm == key.algorithm else { return false }
            return mac.isValid(signature, for: input.utf8)
        }
    }

    /// The workspace's policy, from the same cache (no database read while nothing changed).
    public func policy(of workspace: WorkspaceName, mayBlock: Bool = true) throws -> WorkspacePolicy {
        try keys(of: workspace, mayBlock: mayBlock).keys.policy
    }

    /// From now on, `keyIDs` (and no other key) of `workspace` are treated as revoked, whatever the store says:
    /// a revocation the store could not take yet (``RevocationBacklog``). Their tokens are rejected and they
    /// sign nothing.
    public func refuseInMemory(_ keyIDs: Set<String>, of workspace: WorkspaceName) {
        cache.withLockedValue { $0.refusals[workspace] = keyIDs.isEmpty ? nil : keyIDs }
    }

    /// The workspace's keys from the cache, if the store has not written since they were read and no refusal in
    /// memory changed since.
    private func cachedKeys(of workspace: WorkspaceName) -> Unsealed? {
        let revision = store.revision(of: workspace)
        return cache.withLockedValue { cache in
            guard let cached = cache.unsealed[workspace], cached.keys.revision == revision,
                cached.refused == cache.refusals[workspace] ?? []
            else { return nil }
            return cached
        }
    }

    /// The workspace's keys, from the cache while the store has not changed the workspace since, else freshly read
    /// and opened (if it may block: else it throws ``BlockingRequired``).
    private func keys(of workspace: WorkspaceName, mayBlock: Bool) throws -> Unsealed {
        if let cached = cachedKeys(of: workspace) { return cached }
        guard mayBlock else { throw BlockingRequired() }
        let refused = cache.withLockedValue { $0.refusals[workspace] ?? [] }
        var keys = try store.workspaceKeys(of: workspace)
        keys.ring = keys.ring.revoking(refused)
        var macs: [String: HMACKey] = [:]
        var userHashMAC: HMACKey?
        let signingKeyID = keys.ring.signingKey?.keyID
        for key in keys.ring.keys where !refused.contains(key.keyID) {
            guard let sealed = keys.sealedSecrets[key.keyID] else { continue }
            let secret = try masterKey.open(sealed, for: .key(workspace: workspace, keyID: key.keyID))
            let mac = try HMACKey(key.algorithm, key: secret)
            macs[key.keyID] = mac
            if key.keyID == signingKeyID {
                userHashMAC =
                    key.algorithm == TokenRules.userHashAlgorithm
                    ? mac : try HMACKey(TokenRules.userHashAlgorithm, key: secret)
            }
        }
        var knownHeaders: [Substring: KnownHeader] = [:]
        for key in keys.ring.keys where keys.sealedSecrets[key.keyID] != nil && !refused.contains(key.keyID) {
            knownHeaders[Substring(TokenRules.headerSegment(for: key))] = KnownHeader(for: key)
        }
        let unsealed = Unsealed(
            keys: keys,
            macs: macs,
            knownHeaders: knownHeaders,
            signingHeader: keys.ring.signingKey.map(TokenRules.headerSegment(for:)),
            userHashMAC: userHashMAC,
            refused: refused
        )
        cache.withLockedValue { $0.unsealed[workspace] = unsealed }
        return unsealed
    }
}

/// A token keyrotd signed, with what a caller needs to know about it.
public struct SignedToken: Hashable, Sendable {
    public var token: String
    public var keyID: String
    public var issuedAt: Timestamp
    public var expiresAt: Timestamp
}
