import Foundation

/// A value behind a pthread mutex (`NSLock`), for state the store shares between threads.
///
/// - Important: Not `Synchronization.Mutex`: its futex-based lock is invisible to ThreadSanitizer, which then reports
///   every update made under it from two threads as a race; a pthread mutex it sees.
final class Locked<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Value

    init(_ value: Value) {
        self.value = value
    }

    func withLock<Result>(_ body: (inout Value) throws -> Result) rethrows -> Result {
        lock.lock()
        defer { lock.unlock() }
        return try body(&value)
    }
}
