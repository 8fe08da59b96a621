import NIOPosix
import ServiceLifecycle
import UnixSignals

/// Reloads the configuration on each SIGHUP (`systemctl reload`, `kill -HUP`), until graceful shutdown.
///
/// - Important: The signal must already be trapped when the service manager can send it, so the sequence is
///   made before `READY=1` and handed in.
struct ReloadOnHangup: Service {
    let hangups: UnixSignalsSequence
    /// Where the reload runs: it reads files and writes to the database and the journal.
    let pool: NIOThreadPool
    let reload: @Sendable () -> Void

    func run() async throws {
        for await _ in hangups.cancelOnGracefulShutdown() { try? await pool.runIfActive(reload) }
    }
}
