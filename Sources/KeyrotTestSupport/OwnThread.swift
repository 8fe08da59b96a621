import Foundation

/// Runs blocking work (a child process waited for, a blocking socket call) on a thread of its own, so it never
/// holds one of Swift concurrency's few pool threads: on a 2-core machine two such waits would starve every
/// other task of the test, the one driving the daemon included.
public func onOwnThread<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        Thread { continuation.resume(with: Result { try body() }) }.start()
    }
}
