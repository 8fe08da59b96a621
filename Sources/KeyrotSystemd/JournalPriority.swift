/// The syslog priority of a journal entry (`PRIORITY=`), 0 most severe.
public enum JournalPriority: Int, Sendable {
    case emergency = 0
    case alert = 1
    case critical = 2
    case error = 3
    case warning = 4
    case notice = 5
    case info = 6
    case debug = 7
}
