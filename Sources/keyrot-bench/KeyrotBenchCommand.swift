import ArgumentParser

/// `keyrot-bench`: keyrotd's release-build benchmarks, one subcommand each; without one, the throughput benchmark
/// (``KeyrotBench``) runs, as `Benchmarks/run` calls it.
@main
struct KeyrotBenchCommand: AsyncParsableCommand {
    #if PostgreSQL
    static let postgres: [any ParsableCommand.Type] = [PostgresBenchmark.self]
    #else
    static let postgres: [any ParsableCommand.Type] = []
    #endif

    static let configuration = CommandConfiguration(
        commandName: "keyrot-bench",
        subcommands: [KeyrotBench.self, ScaleBenchmark.self, SteadyBenchmark.self, GraceVerifyBenchmark.self]
            + postgres,
        defaultSubcommand: KeyrotBench.self
    )
}
