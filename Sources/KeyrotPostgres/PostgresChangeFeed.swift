import Foundation
import KeyrotCore
import Logging
import NIOConcurrencyHelpers
import PostgresNIO

/// How a host learns of the changes other hosts commit: a connection of its own LISTENs on
/// ``PostgresKeyStore/changeChannel``, and a thread of its own re-reads each workspace named there; every
/// ``rereadInterval`` (and after the connection was lost) it compares every workspace's revision instead, the safety
/// net for a notification that never came.
///
/// - Important: What it finds goes through ``PostgresKeyStore``'s bookkeeping as a change: the workspace's
///   ``PostgresKeyStore/revision(of:)`` moves on (so signing and verifying caches drop it) and the store's observers
///   hear the workspace as it now stands.
final class PostgresChangeFeed: Sendable {
    /// How often every workspace's revision is compared, notifications or not.
    static let rereadInterval: TimeInterval = 2

    private let session: PostgresSession
    private let logger: Logger
    /// Workspaces named by notifications since the last look, and whether to stop.
    private let pending = NIOLockedValueBox(Pending())
    private let wakeUp = NSCondition()
    /// The connection LISTEN was issued on (a new one must issue it again).
    private let listeningOn = NIOLockedValueBox<ObjectIdentifier?>(nil)

    /// What the listener has told the feed's thread since it last looked.
    private struct Pending {
        var names: Set<String> = []
        var stopping = false
    }

    init(session: PostgresSession, logger: Logger) {
        self.session = session
        self.logger = logger
    }

    /// Starts the feed's thread: `catchUp` is called with the names notified (nil: compare every workspace).
    func start(catchUp: @escaping @Sendable (_ names: Set<String>?) -> Void) {
        let thread = Thread { [self] in run(catchUp: catchUp) }
        thread.name = "keyrotd change feed"
        thread.start()
    }

    /// Stops the thread (at its next wake-up) and closes the connection.
    func stop() {
        pending.withLockedValue { $0.stopping = true }
        wakeUp.lock()
        wakeUp.signal()
        wakeUp.unlock()
    }

    private func run(catchUp: @Sendable (Set<String>?) -> Void) {
        var lastFullLook = Date.distantPast
        while true {
            let (reconnected, listening) = listen()
            var names: Set<String> = []
            wakeUp.lock()
            while true {
                names = pending.withLockedValue { $0.stopping ? [] : $0.names }
                if pending.withLockedValue({ $0.stopping }) || !names.isEmpty { break }
                if !wakeUp.wait(until: lastFullLook.addingTimeInterval(Self.rereadInterval)) { break }
            }
            wakeUp.unlock()
            if pending.withLockedValue({ $0.stopping }) { break }
            pending.withLockedValue { $0.names.subtract(names) }
            if reconnected || !listening || Date() >= lastFullLook.addingTimeInterval(Self.rereadInterval) {
                lastFullLook = Date()
                catchUp(nil)
            } else {
                catchUp(names)
            }
            if !listening { Thread.sleep(forTimeInterval: 0.5) }  // the server is away: no busy loop meanwhile
        }
        session.close()
    }

    /// Makes sure the connection listens; returns whether it had to (again), and whether it listens now.
    private func listen() -> (reconnected: Bool, listening: Bool) {
        do {
            return try session.withConnection { connection in
                let id = ObjectIdentifier(connection)
                if listeningOn.withLockedValue({ $0 }) == id, !connection.isClosed { return (false, true) }
                connection.addListener(channel: PostgresKeyStore.changeChannel) { [self] _, notification in
                    pending.withLockedValue { _ = $0.names.insert(notification.payload) }
                    wakeUp.lock()
                    wakeUp.signal()
                    wakeUp.unlock()
                }
                try session.run("LISTEN \(unescaped: PostgresKeyStore.changeChannel)", on: connection)
                listeningOn.withLockedValue { $0 = id }
                return (true, true)
            }
        } catch {
            listeningOn.withLockedValue { $0 = nil }
            logger.debug("not listening for changes", metadata: ["keyrot.error": "\(error)"])
            return (true, false)
        }
    }
}
