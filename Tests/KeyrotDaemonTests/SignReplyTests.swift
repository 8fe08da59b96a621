import Foundation
import KeyrotControl
import KeyrotCore
import Testing

@testable import KeyrotDaemon

@Suite struct SignReplyTests {
    @Test(arguments: ["acme.7", "intercom-2026-11", #"odd "quoted" \ id"#])
    func theHandWrittenSignReplyIsWhatTheEncoderWrites(keyID: String) {
        let signed = SignedToken(
            token: "eyJhbGciOiJIUzI1NiJ9.eyJ1c2VyX2lkIjoidSJ9.c2lnbmF0dXJl-_",
            keyID: keyID,
            issuedAt: DaemonFixture.t0,
            expiresAt: DaemonFixture.t0 + .hours(1)
        )
        let encoded = VarlinkReply.parameters(
            KeyrotAPI.SignResult(
                token: signed.token,
                key_id: signed.keyID,
                issued_at: signed.issuedAt.iso8601,
                expires_at: signed.expiresAt.iso8601
            )
        )
        #expect(
            String(buffer: ControlService.reply(signed).bytes) == String(buffer: encoded.bytes),
            "the reply must read exactly as JSONEncoder writes it"
        )
    }
}
