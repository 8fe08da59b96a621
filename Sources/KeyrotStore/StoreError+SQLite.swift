import GRDB
import KeyrotCore

extension StoreError {
    /// The store's error for whatever a GRDB call, a lifecycle decision or a sealer threw: the one place where the
    /// untyped errors from below are sorted.
    init(_ error: any Error) {
        switch error {
        case let error as StoreError: self = error
        case let error as KeyrotError: self = .refused(error)
        case let error as DatabaseError: self = .databaseFailed(problem: Self.problem(in: error))
        default: self = .sealingFailed(String(describing: error))
        }
    }

    /// What went wrong with the database in words an operator can act on, without SQL or bound values.
    static func problem(in error: DatabaseError) -> String {
        switch error.resultCode {
        case .SQLITE_FULL: "the disk is full"
        case .SQLITE_READONLY: "the database is read-only"
        case .SQLITE_BUSY, .SQLITE_LOCKED: "the database is busy"
        case .SQLITE_IOERR: "an I/O error occurred"
        case .SQLITE_CANTOPEN: "the database file cannot be opened"
        default: "the database refused the change (\(error.resultCode))"
        }
    }
}
