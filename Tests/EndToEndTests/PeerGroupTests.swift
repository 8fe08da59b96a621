import Foundation
import KeyrotTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Rights come from the groups of the connecting process (`SO_PEERGROUPS`), not from its account: a process that
/// dropped the admin group has dropped its rights, and one given a group (a unit's `SupplementaryGroups=`) has it.
/// `games` (uid 5, group 60) is a Debian base account whose own group is one this test can grant or withhold.
@Suite(.serialized) struct PeerGroupTests {
    static let configuration = """
        [access]
        admin_group = "games"

        [workspace.acme]

        [workspace.beta]
        signers = ["group:games"]
        """

    func ctl(
        _ daemon: KeyrotctlTests.RunningDaemon,
        uid: Int,
        gid: Int,
        groups: String?,
        _ arguments: [String]
    ) async throws -> ProcessResult {
        try await ProcessResult.runOffPool(
            "/usr/bin/setpriv",
            ["--reuid=\(uid)", "--regid=\(gid)", groups.map { "--groups=\($0)" } ?? "--clear-groups", "--"]
                + [DaemonProcess.builtControlBinary, "--socket", daemon.socket] + arguments
        )
    }

    @Test(
        .enabled(
            if: Repository.runningAsRoot && UserDatabaseFacts.gamesIsUID5InGroup60,
            "needs root and Debian's games account"
        )
    )
    func theConnectingProcesssOwnGroupsCountNotItsAccounts() async throws {
        let daemon = try await KeyrotctlTests.RunningDaemon(configuration: Self.configuration)
        chmod(daemon.socket, 0o666)
        // games' account is in group 60, but this process of it has dropped the group: no administrator.
        let dropped = try await ctl(daemon, uid: 5, gid: 65534, groups: nil, ["rotate", "acme"])
        #expect(dropped.status == 77, "\(dropped.standardError)")
        #expect(
            try await ctl(daemon, uid: 5, gid: 65534, groups: nil, ["sign", "beta", "--user-id", "u"]).status == 77
        )
        // nobody's account has no group 60, but a process given it (SupplementaryGroups=60) is an administrator...
        let granted = try await ctl(daemon, uid: 65534, gid: 65534, groups: "60", ["rotate", "acme"])
        #expect(granted.status == 0, "\(granted.standardError)")
        // ...and a signer of the workspace whose signers are the group.
        #expect(
            try await ctl(daemon, uid: 65534, gid: 65534, groups: "60", ["sign", "beta", "--user-id", "u"]).status == 0
        )
        // The process's own gid counts too.
        #expect(try await ctl(daemon, uid: 65534, gid: 60, groups: nil, ["rotate", "acme"]).status == 0)
        #expect(try await ctl(daemon, uid: 65534, gid: 65534, groups: nil, ["rotate", "acme"]).status == 77)
        try await daemon.stop()
    }
}

/// What the tests assume of the system's accounts, checked rather than assumed.
enum UserDatabaseFacts {
    static var gamesIsUID5InGroup60: Bool {
        guard let games = getpwnam("games") else { return false }
        return games.pointee.pw_uid == 5 && games.pointee.pw_gid == 60 && getgrnam("games")?.pointee.gr_gid == 60
    }
}
