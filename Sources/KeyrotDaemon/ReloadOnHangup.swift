import ServiceLifecycle
import UnixSignals

/// Reloads the configuration on each SIGHUP (`systemctl reload`, `kill -HUP`), until graceful shutdown.
///
/// - Important: The signal must already be trapped when the service manager can send it, so the sequence is
///   made before `READY=1` and handed in.
struct ReloadOnHangup: Service {
    let hangups: UnixSignalsSequence
    let reload: @Sendable () -> Void

    func run() async throws {
        // A reload reads files and writes to the database and the journal: not on the cooperative pool.
        for await _ in hangups.cancelOnGracefulShutdown() { try? await OffThePool.run(reload) }
    }
}
