using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;
using BenchmarkDotNet.Jobs;

namespace SwinFace.Benchmarks;

/// <summary>The configuration every benchmark runs with.</summary>
internal static class BenchmarkConfig
{
    /// <summary>
    /// Creates the configuration: one process launch, 2 warm-up and 7 measured iterations, the median shown,
    /// and managed allocations per operation.
    /// </summary>
    /// <param name="args">The command line; a <c>--job</c> there (such as <c>--job Dry</c>) replaces this job.</param>
    /// <returns>The configuration.</returns>
    /// <remarks>
    /// BenchmarkDotNet ignores <c>--job</c> when the configuration has a default job, and runs both jobs when it
    /// has another one, so the job is left out when the command line names one. Otherwise it is marked as the
    /// default, so options such as <c>--iterationCount</c> change it instead of adding a second job.
    /// </remarks>
    public static IConfig Create(IReadOnlyList<string> args)
    {
        IConfig config = DefaultConfig.Instance
            .AddDiagnoser(MemoryDiagnoser.Default)
            .AddColumn(StatisticColumn.Median);
        bool jobGiven = args.Any(a => a is "--job" or "-j" || a.StartsWith("--job=", StringComparison.Ordinal));
        return jobGiven
            ? config
            : config.AddJob(Job.Default.WithLaunchCount(1).WithWarmupCount(2).WithIterationCount(7).WithId("SwinFace").AsDefault());
    }
}
