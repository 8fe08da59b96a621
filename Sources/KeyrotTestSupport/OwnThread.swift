import Foundation
import NIOConcurrencyHelpers

/// Runs blocking work (a child process waited for, a blocking socket call) on a thread of its own, so it never
/// holds one of Swift concurrency's few pool threads: on a 2-core machine two such waits would starve every
/// other task of the test, the one driving the daemon included.
public func onOwnThread<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        Thread { continuation.resume(with: Result { try body() }) }.start()
    }
}

/// Runs each of `bodies` on a thread of its own, all started at once from the calling thread, and returns their
/// results in order once every one has ended (the first error, if any, after all have ended).
///
/// For work that must overlap in time, such as a load and what is measured beside it: child tasks (`async let`, a
/// task group) that each then move to a thread first wait for a turn on the pool, and beside a busy suite that wait
/// can outlast the load.
public func onOwnThreads<T: Sendable>(_ bodies: [@Sendable () throws -> T]) async throws -> [T] {
    guard !bodies.isEmpty else { return [] }
    let results = NIOLockedValueBox([Result<T, any Error>?](repeating: nil, count: bodies.count))
    return try await withCheckedThrowingContinuation { continuation in
        for (index, body) in bodies.enumerated() {
            Thread {
                let result = Result { try body() }
                let all = results.withLockedValue { results -> [Result<T, any Error>]? in
                    results[index] = result
                    let ended = results.compactMap { $0 }
                    return ended.count == results.count ? ended : nil
                }
                guard let all else { return }
                continuation.resume(with: Result { try all.map { try $0.get() } })
            }.start()
        }
    }
}
