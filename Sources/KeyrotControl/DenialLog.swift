import KeyrotCore
import Logging
import NIOConcurrencyHelpers

/// Logs denied calls and refused connections, at most a few a minute of each for each peer uid (``RepeatBudget``): one
/// peer repeating a refused call could otherwise fill the journal's rate limit for the unit, and journald would
/// then drop everything keyrotd logs, its audit events included. What is held back is counted, and said: by the
/// next entry logged for that peer, or by ``reportHeldBack(all:)``, which the control server calls every minute and
/// when it stops.
public final class DenialLog: Sendable {
    /// Entries of one message logged for one peer uid in a minute.
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
        let verdict = budget.withLockedValue { $0.admit("\(message), uid \(peer.uid)", at: now()) }
        guard case .pass(let heldBack) = verdict else { return }
        var metadata = metadata
        metadata["keyrot.peer"] = "\(peer)"
        if heldBack > 0 { metadata["keyrot.suppressed"] = "\(heldBack)" }
        logger.warning("\(message)", metadata: metadata)
    }

    /// Says, for each peer whose minute has ended (every peer, when `all`: at shutdown), how many of its entries
    /// were held back.
    public func reportHeldBack(all: Bool = false) {
        let ended = budget.withLockedValue { budget in
            let now = now()
            return budget.endedWindows(at: all ? now + budget.interval : now)
        }
        for held in ended {
            logger.warning(
                "\(held.count) more entries \"\(held.subject)\" were not logged",
                metadata: ["keyrot.suppressed": "\(held.count)"]
            )
        }
    }
}
