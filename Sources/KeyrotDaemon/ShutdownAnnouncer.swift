import NIOPosix
import ServiceLifecycle

/// Says `STOPPING=1` (and sends the `stopping` event) as soon as graceful shutdown begins, before the other
/// services wind down: it runs last in the service group, so it is the first to hear of the shutdown.
struct ShutdownAnnouncer: Service {
    let status: ServiceStatus
    let events: EventReporter
    /// Where the announcement runs: the event is a journal entry.
    let pool: NIOThreadPool

    func run() async throws {
        try? await gracefulShutdown()
        try? await pool.runIfActive { [status, events] in
            status.stopping()
            events.report(DaemonEvent(.stopping, "keyrotd stopping", actor: Daemon.selfActor))
        }
    }
}
