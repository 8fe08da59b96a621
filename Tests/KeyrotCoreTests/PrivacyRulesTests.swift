import KeyrotCore
import Testing

@Suite struct PrivacyRulesTests {
    func keyFile(mode: UInt32, owner: UInt32, process: UInt32 = 998) -> String? {
        PrivacyRules.problem(
            with: .masterKeyFile,
            at: "/etc/keyrotd/master-key",
            mode: mode,
            ownerUID: owner,
            processUID: process
        )
    }

    @Test func aMasterKeyFileIsTheOwnersAloneAndTheOwnerIsRootOrKeyrotd() {
        #expect(keyFile(mode: 0o100600, owner: 0) == nil)
        #expect(keyFile(mode: 0o100400, owner: 998) == nil)
        #expect(
            keyFile(mode: 0o100640, owner: 0)
                == "the file is open to other users (mode 0640): fix: chmod 600 /etc/keyrotd/master-key"
        )
        #expect(keyFile(mode: 0o100604, owner: 0)?.contains("mode 0604") == true)
        #expect(keyFile(mode: 0o100620, owner: 998)?.contains("chmod 600") == true)
        #expect(
            keyFile(mode: 0o100600, owner: 1000)
                == "the file is owned by uid 1000, not by root or keyrotd's user (uid 998): anyone who can replace it "
                + "chooses the master key; fix: chown root: /etc/keyrotd/master-key"
        )
    }

    @Test func aCredentialIsCheckedForItsOwnerOnlyForSystemdGrantsItThroughAnACL() {
        let credential = { (mode: UInt32, owner: UInt32) in
            PrivacyRules.problem(
                with: .credential,
                at: "/run/credentials/keyrotd.service/master-key",
                mode: mode,
                ownerUID: owner,
                processUID: 998
            )
        }
        #expect(credential(0o100440, 0) == nil)
        #expect(credential(0o100400, 998) == nil)
        #expect(credential(0o100400, 1000)?.contains("owned by uid 1000") == true)
    }

    @Test func aStateDirectoryIsTheOwnersAlone() {
        let rules = { (mode: UInt32) in
            PrivacyRules.problem(
                with: .stateDirectory,
                at: "/var/lib/keyrotd",
                mode: mode,
                ownerUID: 998,
                processUID: 998
            )
        }
        #expect(rules(0o40700) == nil)
        #expect(rules(0o40500) == nil)
        #expect(rules(0o40755) == "the directory is open to other users (mode 0755): fix: chmod 700 /var/lib/keyrotd")
        #expect(rules(0o40710) != nil)
        #expect(rules(0o41701) != nil)
    }
}
