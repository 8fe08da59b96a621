import NIOConcurrencyHelpers
import PostgresNIO

/// Which of the hosts sharing a PostgreSQL store runs the rotation scheduler: the one whose connection of its own
/// holds a session advisory lock. The server lets go of the lock the moment that connection ends (the process was
/// killed, its host is gone: TCP keepalives on every session tell within seconds), and the next host to ask takes it.
///
/// - Important: Two hosts may both believe they lead for a moment (a leader cut off has not noticed yet); the store
///   re-checks inside each rotation's transaction that it is still due, so a period still rotates once.
final class PostgresSchedulerLease: Sendable {
    /// The advisory lock's key.
    static let lock: Int64 = 0x6b65_7972_6f74_0002

    private let session: PostgresSession
    /// The connection the lock was taken on: a new connection no longer holds it.
    private let heldOn = NIOLockedValueBox<ObjectIdentifier?>(nil)

    init(session: PostgresSession) {
        self.session = session
    }

    /// Whether this host holds the lease now: proves the connection that took it still answers, or tries to take it.
    func holds() -> Bool {
        do {
            return try session.withConnection { connection in
                let id = ObjectIdentifier(connection)
                if heldOn.withLockedValue({ $0 }) == id {
                    try session.run("SELECT 1", on: connection)
                    return true
                }
                let taken =
                    try session.run("SELECT pg_try_advisory_lock(\(Self.lock)) AS taken", on: connection)
                    .first?.makeRandomAccess().value("taken", as: Bool.self) ?? false
                heldOn.withLockedValue { $0 = taken ? id : nil }
                return taken
            }
        } catch {
            heldOn.withLockedValue { $0 = nil }
            return false
        }
    }

    /// Lets go of the lease (the daemon is stopping): another host takes it at its next look.
    func release() {
        heldOn.withLockedValue { $0 = nil }
        session.close()
    }
}
