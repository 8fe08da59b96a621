import Foundation
import KeyrotTestSupport
import Testing

/// The security review's key-id squat, as it was tried with keyrotctl: an import that takes the id acme's next
/// rotation would generate (`acme.9`) made that rotation fail on the unique constraint, and then every emergency
/// rotation, leak flag and revocation of acme's active key with it, so a leaked key kept signing. Generated ids
/// step past taken ones, and a refused import blocks nothing.
@Suite(.serialized) struct KeySquattingTests {
    static let configuration = "[workspace.acme]\nrotate_every = \"1h\"\ngrace = \"10min\"\n\n[workspace.beta]\n"
    static let secret = "a-squatting-secret-0123456789abcdef0123456789"

    func activeKey(_ daemon: KeyrotctlTests.RunningDaemon) async throws -> String {
        let keys = try await daemon.ctlOffPool(["keys", "acme"]).standardOutput.split(separator: "\n")
        let active = try #require(keys.first { $0.contains(" active ") }, "\(keys)")
        return String(active.split(separator: " ")[0])
    }

    @Test func importedIDsOfAcmesFutureKeysBlockNoRotationLeakFlagOrRevocation() async throws {
        let daemon = try await KeyrotctlTests.RunningDaemon(configuration: Self.configuration)
        // The squats: acme's 9th key id, in another workspace, and its 10th, in acme itself.
        #expect(
            try await daemon.ctlOffPool(["key", "import", "beta", "--kid", "acme.9"], input: Self.secret).status == 0
        )
        #expect(
            try await daemon.ctlOffPool(["key", "import", "acme", "--kid", "acme.10"], input: Self.secret).status == 0
        )
        // A refused import (an id that is taken) leaves nothing that blocks what follows.
        let refused = try await daemon.ctlOffPool(["key", "import", "acme", "--kid", "acme.9"], input: Self.secret)
        #expect(refused.status == 1, "\(refused.standardError)")

        for round in 1...12 {
            let rotated = try await daemon.ctlOffPool(["rotate", "acme"])
            #expect(rotated.status == 0, "rotation \(round): \(rotated.standardError)")
        }
        let emergency = try await daemon.ctlOffPool(["rotate", "acme", "--emergency", "--reason", "after the squat"])
        #expect(emergency.status == 0, "\(emergency.standardError)")
        let leaked = try await activeKey(daemon)
        let flagged = try await daemon.ctlOffPool([
            "flag-leak", "acme", "--key", leaked, "--reason", "leaked after the squat",
        ])
        #expect(flagged.status == 0, "\(flagged.standardError)")
        #expect(try await activeKey(daemon) != leaked, "the leaked key no longer signs")
        let grace = try await daemon.ctlOffPool(["keys", "acme"]).standardOutput.split(separator: "\n").first {
            $0.contains(" grace ")
        }
        if let grace {
            let revoked = try await daemon.ctlOffPool([
                "revoke", "acme", "--key", String(grace.split(separator: " ")[0]),
            ])
            #expect(revoked.status == 0, "\(revoked.standardError)")
        }

        // The squatted ids are still the imports they were; acme's own keys stepped past them.
        let keys = try await daemon.ctlOffPool(["keys", "acme", "--json"]).standardOutput
        #expect(keys.contains("\"acme.10\""))
        let beta = try await daemon.ctlOffPool(["keys", "beta"]).standardOutput
        #expect(beta.contains("acme.9") && beta.contains("pending"), "\(beta)")
        let shell = try SQLiteShell.query(
            "SELECT count(*) = count(DISTINCT key_id) FROM keys; SELECT count(*) FROM audit_chain_breaks",
            database: daemon.directory.path("state/keyrotd.db")
        )
        #expect(shell == "1\n0", "unique key ids, an unbroken chain: \(shell)")
        try await daemon.stop()
    }
}
