import NIOPosix

/// Runs work that may block (the database, user lookups, the journal, reading files) on NIO's thread pool for
/// blocking work, so that it never holds one of the few threads of Swift's cooperative pool.
enum OffThePool {
    static func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await NIOThreadPool.singleton.runIfActive(body)
    }
}
