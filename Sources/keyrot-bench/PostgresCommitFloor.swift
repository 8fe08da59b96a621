#if PostgreSQL
import Foundation
import KeyrotPostgres
import Logging
import NIOPosix
import PostgresNIO

/// What the PostgreSQL server itself gives: single-row `INSERT`s, each its own transaction (autocommit, with
/// `synchronous_commit` on, as keyrotd's sessions have it), back to back over one connection. The floor a
/// rotation's commit on the PostgreSQL store is compared with.
enum PostgresCommitFloor {
    static func measure(_ address: PostgresAddress, seconds: Double) throws -> (samples: [Duration], elapsed: Duration)
    {
        var configuration = PostgresConnection.Configuration(
            host: address.host,
            port: address.port,
            username: address.user,
            password: nil,
            database: address.database,
            tls: .disable
        )
        configuration.options.additionalStartupParameters = [("synchronous_commit", "on")]
        let logger = Logger(label: "keyrot-bench")
        let connection = try PostgresConnection.connect(
            on: MultiThreadedEventLoopGroup.singleton.any(),
            configuration: configuration,
            id: 1,
            logger: logger
        ).wait()
        defer { try? (connection.close() as EventLoopFuture<Void>).wait() }
        _ = try connection.query(
            "CREATE TABLE commit_floor (id bigserial PRIMARY KEY, at bigint, payload bytea)",
            logger: logger
        )
        .wait()
        let payload = Data(repeating: 0x5A, count: 64)
        let clock = ContinuousClock()
        let start = clock.now
        var samples: [Duration] = []
        while clock.now - start < .seconds(seconds) {
            let begin = clock.now
            _ = try connection.query(
                "INSERT INTO commit_floor (at, payload) VALUES (\(Int64(samples.count)), \(payload))",
                logger: logger
            ).wait()
            samples.append(clock.now - begin)
        }
        let elapsed = clock.now - start
        _ = try connection.query("DROP TABLE commit_floor", logger: logger).wait()
        return (samples, elapsed)
    }
}
#endif
