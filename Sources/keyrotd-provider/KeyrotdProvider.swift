import ArgumentParser
import Foundation
import KeyrotCore
import KeyrotProvider
import Logging

/// `keyrotd-provider`: the agent that carries out keyrotd's rotations at the verifier (Intercom's API, or a hook).
/// It is the only keyrotd process that opens network connections; it holds the provider tokens and never sees the
/// master key or the database.
@main
struct KeyrotdProvider: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keyrotd-provider",
        abstract: "Carry out keyrotd's rotations at the provider (Intercom, or a hook).",
        discussion: """
            Asks keyrotd over its control socket for the provider work due (creating a secret for a rotation, \
            deleting one whose key stopped verifying), does it, and reports back. It keeps no state: keyrotd's \
            database holds every step, so either process may be stopped or killed at any time.

            Access tokens are read from $CREDENTIALS_DIRECTORY (systemd's LoadCredential=) under the name a \
            workspace's token_credential gives. keyrotd --dev starts this agent itself when a workspace has a \
            provider.

            Exit codes: 0 the --parent-pid process is gone; 64 usage; 78 no credentials directory. SIGTERM ends it \
            at once (it holds no state). It never exits on keyrotd's or the provider's failures: it retries them.
            """,
        version: KeyrotVersion.current
    )

    @Option(help: "keyrotd's control socket.")
    var socket = "/run/keyrotd/control.sock"

    @Option(help: "Where the access tokens are (default: $CREDENTIALS_DIRECTORY).")
    var credentialsDirectory: String?

    @Option(help: "Seconds between two requests for work while there is none.")
    var pollInterval: Double = 1

    @Option(help: "Exit when the process with this pid is gone (keyrotd --dev starts the agent with its own).")
    var parentPid: Int32?

    func validate() throws {
        guard (0.05...60).contains(pollInterval) else { throw ValidationError("--poll-interval must be 0.05 to 60") }
    }

    func run() async throws {
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = .info
            return handler
        }
        let logger = Logger(label: "keyrotd-provider")
        guard let directory = credentialsDirectory ?? ProcessInfo.processInfo.environment["CREDENTIALS_DIRECTORY"]
        else {
            logger.critical("no credentials: give --credentials-directory, or run under systemd with LoadCredential=")
            throw ExitCode(78)
        }
        let agent = ProviderAgent(
            options: .init(
                socketPath: socket,
                credentials: ProviderCredentials(directory: directory),
                pollInterval: .milliseconds(Int64(pollInterval * 1000))
            ),
            logger: logger
        )
        logger.info("keyrotd-provider started", metadata: ["keyrot.socket": "\(socket)"])
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await agent.run() }
            if let parentPid {
                group.addTask {
                    // kill(pid, 0) fails once the parent is gone: a --dev agent must not outlive its keyrotd.
                    while kill(parentPid, 0) == 0 || errno == EPERM { try await Task.sleep(for: .milliseconds(250)) }
                    logger.notice("keyrotd is gone; stopping")
                }
            }
            try await group.next()
            group.cancelAll()
        }
    }
}
