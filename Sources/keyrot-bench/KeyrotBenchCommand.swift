import ArgumentParser

/// `keyrot-bench`: keyrotd's release-build benchmarks, one subcommand each; without one, the throughput benchmark
/// (``KeyrotBench``) runs, as `Benchmarks/run` calls it.
@main
struct KeyrotBenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keyrot-bench",
        subcommands: [KeyrotBench.self, ScaleBenchmark.self, SteadyBenchmark.self, GraceVerifyBenchmark.self],
        defaultSubcommand: KeyrotBench.self
    )
}
