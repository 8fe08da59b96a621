/// Who may call what on the control socket.
///
/// Administrators (root, keyrotd's own user, members of the configured admin group) may do everything; a
/// workspace's signers may sign and verify its tokens; nobody else may do anything.
public struct AccessRules: Hashable, Sendable {
    /// The uid keyrotd runs as.
    public var daemonUID: UInt32
    /// The gid of the configured admin group, if any.
    public var adminGroupID: UInt32?
    /// `[access] providers`: the provider agent's uids and groups.
    public var providerUIDs: Set<UInt32>
    public var providerGroupIDs: Set<UInt32>

    public init(
        daemonUID: UInt32,
        adminGroupID: UInt32?,
        providerUIDs: Set<UInt32> = [],
        providerGroupIDs: Set<UInt32> = []
    ) {
        self.daemonUID = daemonUID
        self.adminGroupID = adminGroupID
        self.providerUIDs = providerUIDs
        self.providerGroupIDs = providerGroupIDs
    }

    /// Whether the caller is the provider agent: one of `[access] providers`, or keyrotd's own user (the agent
    /// `keyrotd --dev` starts as its child). Only the provider methods are open to it.
    public func isProvider(uid: UInt32, groupIDs: Set<UInt32>) -> Bool {
        uid == daemonUID || providerUIDs.contains(uid) || !providerGroupIDs.isDisjoint(with: groupIDs)
    }

    /// Whether a caller with `uid` and `groupIDs` is an administrator.
    public func isAdministrator(uid: UInt32, groupIDs: Set<UInt32>) -> Bool {
        uid == 0 || uid == daemonUID || adminGroupID.map(groupIDs.contains) == true
    }

    /// Whether the caller may sign and verify for a workspace whose signers resolve to these uids and gids.
    public func maySign(
        uid: UInt32,
        groupIDs: Set<UInt32>,
        signerUIDs: Set<UInt32>,
        signerGroupIDs: Set<UInt32>
    )
        -> Bool
    {
        isAdministrator(uid: uid, groupIDs: groupIDs) || signerUIDs.contains(uid)
            || !signerGroupIDs.isDisjoint(with: groupIDs)
    }
}
