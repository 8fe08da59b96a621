import ArgumentParser
import Foundation
import KeyrotCore
import KeyrotCrypto
import KeyrotDaemon
import KeyrotStore

/// `keyrot-bench grace-verify`: what verifying costs as grace keys pile up. A workspace rotated (manually, so the
/// old keys stay in grace) 1, 2, 4, … times; in-process verification through ``KeyrotDaemon/TokenService`` of a
/// token signed by the newest key and of one signed by the oldest grace key, each with a `kid` and without one
/// (a kid-less token is tried against each verifying key).
struct GraceVerifyBenchmark: AsyncParsableCommand, TimedRounds {
    static let configuration = CommandConfiguration(
        commandName: "grace-verify",
        abstract: "Verify throughput with 1…32 grace keys, newest and oldest key, with and without kid."
    )

    @Option(parsing: .upToNextOption, help: "Grace-key counts to measure.") var graceKeys: [Int] = [1, 2, 4, 8, 16, 32]
    @Option(help: "Seconds per measurement.") var seconds: Double = 1
    @Option(help: "Rounds per measurement; the median is reported.") var rounds: Int = 5

    func run() async throws {
        let directory = FileManager.default.temporaryDirectory.path + "/keyrot-grace-\(getpid())"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let masterKey = try MasterKey.generate()
        let workspace = try WorkspaceName("acme")
        let now = Timestamp(secondsSinceEpoch: Int64(Date().timeIntervalSince1970))
        let actor = AuditActor(uid: Int64(getuid()), pid: Int64(getpid()))
        let request = TokenRequest(userID: "user-42")

        print(
            "| grace keys | newest key, kid | oldest grace key, kid | newest key, no kid | oldest grace key, no kid |"
        )
        print("| --- | --- | --- | --- | --- |")
        for count in graceKeys {
            let store = try SQLiteKeyStore(
                path: directory + "/grace-\(count).db",
                sealer: MasterKeySealer(masterKey: masterKey),
                sha3: SHA3.digest(bits:of:),
                now: now
            )
            let tokens = TokenService(store: store, masterKey: masterKey)
            try store.createWorkspace(workspace, policy: .standard, at: now, actor: actor)
            let oldest = try tokens.sign(request, for: workspace, at: now)
            for _ in 0..<count {
                try store.rotate(workspace, mode: .manual, reason: "keyrot-bench grace-verify", at: now, actor: actor)
            }
            let newest = try tokens.sign(request, for: workspace, at: now)
            let secrets = try store.workspaceKeys(of: workspace).sealedSecrets
            func kidless(_ token: SignedToken) throws -> String {
                let secret = try masterKey.open(
                    secrets[token.keyID]!,
                    for: .key(workspace: workspace, keyID: token.keyID)
                )
                return KidlessToken.resign(token.token, algorithm: .hs256, secret: secret)
            }
            let cases: [(token: String, keyID: String)] = [
                (newest.token, newest.keyID), (oldest.token, oldest.keyID),
                (try kidless(newest), newest.keyID), (try kidless(oldest), oldest.keyID),
            ]
            var cells: [String] = []
            for (token, keyID) in cases {
                guard case .success(let verified) = try tokens.verify(token, for: workspace, at: now),
                    verified.keyID == keyID
                else { throw ScaleFailure("the \(keyID) token did not verify with \(count) grace keys") }
                let perSecond = try median { try rate { _ = try tokens.verify(token, for: workspace, at: now) } }
                cells.append(String(format: "%.0f /s (%.2f µs)", perSecond, 1e6 / perSecond))
            }
            print("| \(count) | " + cells.joined(separator: " | ") + " |")
        }
        print("\nIn-process, TokenService.verify (keys cached); \(rounds) rounds of \(seconds) s each, medians.")
    }
}
