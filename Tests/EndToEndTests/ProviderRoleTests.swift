import Foundation
import KeyrotTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// `[access] providers`: the provider agent's uid may make the provider calls and nothing else; nobody else may
/// make them. A report keyrotd cannot match to a job changes nothing.
@Suite(.serialized) struct ProviderRoleTests {
    static let configuration = """
        [workspace.acme]
        provider = "intercom"

        [workspace.plain]

        [access]
        providers = ["uid:65534", "group:games"]
        """

    /// One raw varlink call, made as `uid` (with `groups` as its supplementary groups); the reply as text.
    func call(
        _ daemon: KeyrotctlTests.RunningDaemon,
        as uid: Int,
        groups: [UInt32] = [],
        _ message: String
    ) async throws -> String {
        let script = """
            import socket, sys
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.connect(sys.argv[1])
            s.sendall(sys.argv[2].encode() + b"\\0")
            reply = b""
            while not reply.endswith(b"\\0"):
                chunk = s.recv(65536)
                if not chunk:
                    break
                reply += chunk
            print(reply.rstrip(b"\\0").decode())
            """
        let result = try await ProcessResult.runOffPool(
            "setpriv",
            [
                "--reuid=\(uid)", "--regid=\(uid)",
                groups.isEmpty ? "--clear-groups" : "--groups=\(groups.map(String.init).joined(separator: ","))",
                "/usr/bin/python3", "-c", script, daemon.socket, message,
            ]
        )
        #expect(result.status == 0, "\(result.standardError)")
        return result.standardOutput
    }

    @Test(.enabled(if: Repository.runningAsRoot, "setpriv changes uid"))
    func theAgentMayMakeTheProviderCallsAndNothingElse() async throws {
        let daemon = try await KeyrotctlTests.RunningDaemon(configuration: Self.configuration)
        chmod(daemon.socket, 0o666)
        let work = try await call(daemon, as: 65534, #"{"method": "io.keyrotd.ProviderWork", "parameters": {}}"#)
        // (Its first key's job may be waiting: keyrotd --dev's own agent found no token for it.)
        #expect(
            work.contains(#""workspace":"acme""#) && work.contains(#""secret_name_prefix":"keyrotd acme ""#),
            "\(work)"
        )
        #expect(
            !work.contains(#""workspace":"plain""#),
            "a workspace without a provider is none of the agent's business"
        )

        // The agent signs nothing, rotates nothing, reads no status.
        for message in [
            #"{"method": "io.keyrotd.Sign", "parameters": {"workspace": "plain", "user_id": "u"}}"#,
            #"{"method": "io.keyrotd.Rotate", "parameters": {"workspace": "acme"}}"#,
            #"{"method": "io.keyrotd.Status", "parameters": {}}"#,
            #"{"method": "io.keyrotd.ProviderStatus", "parameters": {}}"#,
        ] {
            let reply = try await call(daemon, as: 65534, message)
            #expect(reply.contains("io.keyrotd.PermissionDenied"), "\(message): \(reply)")
        }
        // A member of a providers group may make them too (and still nothing else); nobody else makes them.
        let agentsGroup = try #require(getgrnam("games")?.pointee.gr_gid, "Debian's base group games")
        let member = try await call(
            daemon,
            as: 23456,
            groups: [agentsGroup],
            #"{"method": "io.keyrotd.ProviderWork", "parameters": {}}"#
        )
        #expect(member.contains(#""workspace":"acme""#), "\(member)")
        let memberSigns = try await call(
            daemon,
            as: 23456,
            groups: [agentsGroup],
            #"{"method": "io.keyrotd.Sign", "parameters": {"workspace": "plain", "user_id": "u"}}"#
        )
        #expect(memberSigns.contains("io.keyrotd.PermissionDenied"), "\(memberSigns)")
        let stranger = try await call(daemon, as: 12345, #"{"method": "io.keyrotd.ProviderWork", "parameters": {}}"#)
        #expect(stranger.contains("io.keyrotd.PermissionDenied"), "\(stranger)")
        let forged = try await call(
            daemon,
            as: 12345,
            #"{"method": "io.keyrotd.ProviderCreated", "parameters": {"workspace": "acme", "key_id": "acme.1", "provider_secret_id": "1", "secret": "0123456789012345678901234567890123456789abc"}}"#
        )
        #expect(forged.contains("io.keyrotd.PermissionDenied"), "\(forged)")

        // A report that matches no job, or a secret too short for the algorithm, is refused and changes nothing.
        for (parameters, expected) in [
            (
                #""key_id": "acme.7", "provider_secret_id": "1", "secret": "0123456789012345678901234567890123456789abc""#,
                "no provider job"
            ),
            (#""key_id": "acme.1", "provider_secret_id": "1", "secret": "short""#, "needs at least 32"),
            (
                #""key_id": "acme.1", "provider_secret_id": "has space", "secret": "0123456789012345678901234567890123456789abc""#,
                "invalid provider secret id"
            ),
        ] {
            let reply = try await call(
                daemon,
                as: 65534,
                #"{"method": "io.keyrotd.ProviderCreated", "parameters": {"workspace": "acme", "# + parameters + "}}"
            )
            #expect(reply.contains("io.keyrotd.InvalidArgument") && reply.contains(expected), "\(reply)")
        }
        let unknown = try await call(
            daemon,
            as: 65534,
            #"{"method": "io.keyrotd.ProviderDeleted", "parameters": {"workspace": "plain", "key_id": "plain.1"}}"#
        )
        #expect(unknown.contains("io.keyrotd.WorkspaceNotFound"), "\(unknown)")
        let history = try await daemon.ctlOffPool(["history", "acme"])
        #expect(!history.standardOutput.contains("provider_secret_created"))
        #expect(try await daemon.ctlOffPool(["sign", "acme", "--user-id", "u"]).status != 0, "acme has no key yet")

        // The agent's own report goes through: the secret becomes the active key.
        let created = try await call(
            daemon,
            as: 65534,
            #"{"method": "io.keyrotd.ProviderCreated", "parameters": {"workspace": "acme", "key_id": "acme.1", "provider_secret_id": "100", "secret": "0123456789012345678901234567890123456789abc"}}"#
        )
        #expect(created.contains("provider_secret_created"), "\(created)")
        #expect(try await daemon.ctlOffPool(["sign", "acme", "--user-id", "u"]).status == 0)
        daemon.process.send(SIGTERM)
        _ = try await daemon.process.waitForExit(timeout: 20)
        LeakSweep.record(secret: Array("0123456789012345678901234567890123456789abc".utf8), in: daemon.directory)
        daemon.directory.remove()
    }
}
