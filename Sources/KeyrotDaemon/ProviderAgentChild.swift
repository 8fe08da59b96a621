import Foundation
import Logging
import NIOConcurrencyHelpers
import ServiceLifecycle

/// With `--dev`, the provider agent as keyrotd's child process, so that a newcomer's Intercom workspace rotates
/// without a second command: started once a configured workspace has a provider, restarted a second after it
/// exits, stopped (SIGTERM, by its pid) when keyrotd stops. In production the agent is its own unit.
///
/// The agent is `keyrotd-provider` beside keyrotd's own executable; it reads its tokens from
/// `<state-dir>/credentials/` and watches keyrotd's pid, so it also ends if keyrotd is killed.
struct ProviderAgentChild: Service {
    let executable: String
    let socketPath: String
    let credentialsDirectory: String
    let settings: LiveSettings
    let logger: Logger

    /// `keyrotd-provider` in the directory of the running keyrotd.
    static var besideThisExecutable: String {
        let own =
            (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        return ((own as NSString).deletingLastPathComponent as NSString).appendingPathComponent("keyrotd-provider")
    }

    static let missingAgent =
        "a workspace has a provider, but the provider agent is not there to start: build it beside keyrotd "
        + "(swift build --product keyrotd-provider)"

    func run() async throws {
        try? await cancelWhenGracefulShutdown {
            var announced = false
            while !Task.isCancelled {
                guard settings.configuration.hasProviders else {
                    try await Task.sleep(for: .seconds(1))
                    continue
                }
                guard FileManager.default.isExecutableFile(atPath: executable) else {
                    if !announced {
                        logger.error("\(Self.missingAgent)", metadata: ["keyrot.executable": "\(executable)"])
                        announced = true
                    }
                    try await Task.sleep(for: .seconds(5))
                    continue
                }
                let status = await runAgentOnce()
                guard !Task.isCancelled else { break }
                logger.warning("the provider agent exited; restarting it", metadata: ["keyrot.status": "\(status)"])
                try await Task.sleep(for: .seconds(1))
            }
        }
    }

    /// Runs the agent until it exits (or, cancelled, until SIGTERM ends it); its exit status.
    private func runAgentOnce() async -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = [
            "--socket", socketPath, "--credentials-directory", credentialsDirectory, "--parent-pid", "\(getpid())",
            // Asking keyrotd for work is answered from memory: a quicker pace costs little, and a newcomer's
            // rotations show at once.
            "--poll-interval", "0.25",
        ]
        process.environment = ["PATH": "/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8"]
        let running = NIOLockedValueBox<pid_t?>(nil)
        defer {
            // Returns at once for a process that has ended; only it lets go of what Foundation keeps for the child
            // (its run-loop source), which is otherwise leaked.
            if running.withLockedValue({ $0 }) != nil { process.waitUntilExit() }
        }
        return await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Int32, Never>) in
                process.terminationHandler = { ended in continuation.resume(returning: ended.terminationStatus) }
                do {
                    try process.run()
                } catch {
                    logger.error("the provider agent could not be started", metadata: ["keyrot.error": "\(error)"])
                    continuation.resume(returning: -1)
                    return
                }
                let pid = process.processIdentifier
                running.withLockedValue { $0 = pid }
                logger.info("provider agent started", metadata: ["keyrot.pid": "\(pid)"])
                if Task.isCancelled { kill(pid, SIGTERM) }  // cancelled while it was starting
            }
        } onCancel: {
            if let pid = running.withLockedValue({ $0 }) { kill(pid, SIGTERM) }
        }
    }
}
