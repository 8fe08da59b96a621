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
                == "algorithm=HS256 rotate_every=30d grace=7d token_ttl=1h max_token_ttl=1d require_kid=false clock_skew=1min"
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
