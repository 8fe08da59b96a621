import KeyrotCore
import Logging
import NIOConcurrencyHelpers

/// Logs denied calls and refused connections, at most a few a minute for each peer uid (``RepeatBudget``): one
/// peer repeating a refused call could otherwise fill the journal's rate limit for the unit, and journald would
/// then drop everything keyrotd logs, its audit events included. What is held back is counted, and said: by the
/// next entry logged for that peer, or by ``reportHeldBack()``, which the control server calls every minute.
public final class DenialLog: Sendable {
    /// Entries logged for one peer uid in a minute.
    public static let allowedPerMinute = 5

    private let logger: Logger
    private let now: @Sendable () -> Timestamp
    private let budget = NIOLockedValueBox(RepeatBudget(allowed: DenialLog.allowedPerMinute, per: .minutes(1)))

    public init(logger: Logger, now: @escaping @Sendable () -> Timestamp) {
        self.logger = logger
        self.now = now
    }

    /// Logs `message` (a warning) about `peer`, unless its uid has had its share this minute.
    public func warning(_ message: String, peer: PeerCredentials, metadata: Logger.Metadata) {
        let verdict = budget.withLockedValue { $0.admit(Self.subject(peer.uid), at: now()) }
        guard case .pass(let heldBack) = verdict else { return }
        var metadata = metadata
        metadata["keyrot.peer"] = "\(peer)"
        if heldBack > 0 { metadata["keyrot.suppressed"] = "\(heldBack)" }
        logger.warning("\(message)", metadata: metadata)
    }

    /// Says, for each peer whose minute has ended, how many of its entries were held back.
    public func reportHeldBack() {
        let ended = budget.withLockedValue { $0.endedWindows(at: now()) }
        for held in ended {
            logger.warning(
                "\(held.count) more denied calls or refused connections from \(held.subject) were not logged",
                metadata: ["keyrot.suppressed": "\(held.count)"]
            )
        }
    }

    private static func subject(_ uid: UInt32) -> String { "uid \(uid)" }
}
