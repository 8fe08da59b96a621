import KeyrotCore
import KeyrotSystemd
import Logging
import NIOConcurrencyHelpers

/// Tells the operator what happened: each ``DaemonEvent`` goes to the journal as a structured entry with its
/// `MESSAGE_ID`, and to the log.
///
/// - Important: Events that a misbehaving client or a lasting failure could repeat endlessly
///   (`revoked_key_presented` per key, `rotation_failed` per workspace) go out at most once a minute each, and a
///   provider job's failures (`provider_call_failed`; an urgent job is retried every second) five times a minute,
///   the next one saying how many were held back.
///   Events other than audited changes carry the audit chain's newest hash, so every journal entry can be
///   checked against the database.
public final class EventReporter: Sendable {
    /// Where events go besides the log.
    public enum JournalUse: Sendable {
        /// Nowhere: the log only (in-process tests).
        case off
        /// The journal too, and the log (which goes elsewhere, e.g. standard error).
        case alongsideLog
        /// The journal only: the log goes to the journal itself, so a second entry would repeat the first.
        case insteadOfLog
    }

    /// How often a throttled event may repeat for the same subject.
    public static let repeatInterval = TimeSpan.minutes(1)
    /// How many failures of one provider job are reported in ``repeatInterval``.
    public static let providerFailuresPerInterval = 5

    private struct State {
        var head: (seq: Int64, hash: String)?
        var throttle = RepeatBudget(allowed: 1, per: EventReporter.repeatInterval)
        var providerFailures = RepeatBudget(
            allowed: EventReporter.providerFailuresPerInterval,
            per: EventReporter.repeatInterval
        )
        var journalUnreachableNoted = false

        /// Moves the chain head to row `seq`, unless a newer row is known already.
        mutating func noteHead(seq: Int64, hash: String) {
            if head.map({ seq > $0.seq }) ?? true { head = (seq, hash) }
        }
    }

    let logger: Logger
    let journal: JournalUse
    let clock: any WallClock
    /// The database the audit hashes are of, named on each event that carries one.
    let database: String?
    private let state = NIOLockedValueBox(State())

    public init(logger: Logger, clock: any WallClock, journal: JournalUse, database: String? = nil) {
        self.logger = logger
        self.clock = clock
        self.journal = journal
        self.database = database
    }

    /// Reports each audit row (in order).
    public func report(_ entries: [AuditEntry]) {
        for entry in entries { report(DaemonEvent(entry)) }
    }

    /// Reports `event`, unless it is a throttled one that went out less than a minute ago for the same subject.
    public func report(_ event: DaemonEvent) {
        var event = event
        let now = clock.now()
        let allowed = state.withLockedValue { state -> Bool in
            if let seq = event.auditSeq, let hash = event.auditHash {
                state.noteHead(seq: seq, hash: hash)
            } else if event.auditHash == nil {
                event.auditHash = state.head?.hash
            }
            let subject = "\(event.kind.rawValue) \(event.workspace?.rawValue ?? "") \(event.keyID ?? "")"
            switch event.kind {
            case .revokedKeyPresented, .rotationFailed:
                return state.throttle.admit(subject, at: now) != .suppress
            case .providerCallFailed:
                guard case .pass(let heldBack) = state.providerFailures.admit(subject, at: now) else { return false }
                if heldBack > 0 { event.message += " (\(heldBack) more failures before this one were not logged)" }
                return true
            default:
                return true
            }
        }
        guard allowed else { return }
        if event.auditHash != nil { event.database = database }
        if journal != .off {
            let result = Journal.send(event.journalEntry)
            if result < 0 {
                let first = state.withLockedValue { state in
                    defer { state.journalUnreachableNoted = true }
                    return !state.journalUnreachableNoted
                }
                if first {
                    logger.debug(
                        "the journal is not reachable; events go to the log only",
                        metadata: ["keyrot.errno": "\(-result)"]
                    )
                }
            } else if journal == .insteadOfLog {
                return
            }
        }
        logger.log(level: Logger.Level(event.kind.priority), "\(event.message)", metadata: event.logMetadata)
    }

    /// Makes `hash` (of audit row `seq`) the chain head that later non-audit events carry, unless a newer one is
    /// known.
    public func noteChainHead(seq: Int64, hash: String) {
        state.withLockedValue { $0.noteHead(seq: seq, hash: hash) }
    }
}

extension Logger.Level {
    /// The log level for a journal priority.
    init(_ priority: JournalPriority) {
        switch priority {
        case .emergency, .alert, .critical: self = .critical
        case .error: self = .error
        case .warning: self = .warning
        case .notice: self = .notice
        case .info: self = .info
        case .debug: self = .debug
        }
    }
}
