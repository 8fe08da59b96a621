import KeyrotCore
import Testing

@Suite struct WorkspacePolicyTests {
    @Test func refusesSpansThatDoNotFitTogether() {
        #expect(throws: KeyrotError.self) {
            try WorkspacePolicy(
                algorithm: .hs256,
                rotateEvery: .zero,
                grace: .zero,
                tokenTTL: .hours(1),
                maxTokenTTL: .hours(1)
            )
        }
        #expect(throws: KeyrotError.self) {
            try WorkspacePolicy(
                algorithm: .hs256,
                rotateEvery: .days(1),
                grace: .seconds(-1),
                tokenTTL: .hours(1),
                maxTokenTTL: .hours(1)
            )
        }
        #expect(throws: KeyrotError.self) {
            try WorkspacePolicy(
                algorithm: .hs256,
                rotateEvery: .days(1),
                grace: .zero,
                tokenTTL: .hours(2),
                maxTokenTTL: .hours(1)
            )
        }
    }

    @Test func describesItselfInConfigWords() {
        #expect(
            WorkspacePolicy.standard.description
                == "algorithm=HS256 rotate_every=30d grace=7d token_ttl=1h max_token_ttl=1d require_kid=false clock_skew=1min signers=none provider=none"
        )
    }

    @Test func listsOnlyTheSettingsThatChange() throws {
        var changed = WorkspacePolicy.standard
        changed.rotateEvery = .seconds(2)
        changed.algorithm = .hs512
        #expect(WorkspacePolicy.standard.changes(to: changed) == "algorithm HS256 -> HS512, rotate_every 30d -> 2s")
        #expect(WorkspacePolicy.standard.changes(to: .standard) == "")
    }

    @Test(arguments: [(SigningAlgorithm.hs256, 32), (.hs384, 48), (.hs512, 64)])
    func generatedSecretsAreAsLongAsTheHash(algorithm: SigningAlgorithm, bytes: Int) {
        #expect(algorithm.secretLength == bytes)
    }
}

@Suite struct AccessRulesTests {
    let rules = AccessRules(daemonUID: 990, adminGroupID: 500)

    static let administrators: [(UInt32, Set<UInt32>, Bool)] = [
        (0, [], true),  // root
        (990, [], true),  // keyrotd's own user
        (1000, [100, 500], true),  // in the admin group
        (1000, [100], false),
    ]

    @Test(arguments: administrators)
    func administratorsAreRootTheDaemonsUserAndTheAdminGroup(uid: UInt32, groups: Set<UInt32>, admin: Bool) {
        #expect(rules.isAdministrator(uid: uid, groupIDs: groups) == admin)
    }

    @Test func signersAreNamedByUidOrGroupAndAdministratorsMayAlwaysSign() {
        #expect(rules.maySign(uid: 1001, groupIDs: [1001], signerUIDs: [1001], signerGroupIDs: []))
        #expect(rules.maySign(uid: 1002, groupIDs: [1002, 700], signerUIDs: [1001], signerGroupIDs: [700]))
        #expect(!rules.maySign(uid: 1003, groupIDs: [1003], signerUIDs: [1001], signerGroupIDs: [700]))
        #expect(rules.maySign(uid: 0, groupIDs: [], signerUIDs: [], signerGroupIDs: []))
        #expect(!AccessRules(daemonUID: 990, adminGroupID: nil).isAdministrator(uid: 1000, groupIDs: [500]))
    }

    @Test(arguments: ["uid:1001", "group:webapp", "group:svc.web-1"])
    func principalsRoundTrip(text: String) throws {
        #expect(try Principal(text).description == text)
    }

    @Test(arguments: ["1001", "uid:", "uid:-1", "group:", "group:a b", "user:root", "uid:99999999999"])
    func malformedPrincipalsAreRefused(text: String) {
        #expect(throws: KeyrotError.self) { try Principal(text) }
    }
}
