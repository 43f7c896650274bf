using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using SwinFace.Benchmarks;

if (args.Length > 0 && args[0] == MemoryPerIdentity.Option)
{
    return MemoryPerIdentity.Run(args);
}

if (args.Length > 0 && args[0] == SettingsComparison.Option)
{
    return SettingsComparison.Run(args);
}

if (args.Length > 0 && args[0] == LoadComparison.Option)
{
    return LoadComparison.Run(args);
}

if (args.Length > 0 && args[0] == QuantizationSensitivity.Option)
{
    return QuantizationSensitivity.Run(args);
}

if (args.Length > 0 && args[0] == PrecisionComparison.Option)
{
    return PrecisionComparison.Run(args);
}

if (args.Length > 0 && args[0] == GraphComparison.Option)
{
    return GraphComparison.Run(args);
}

if (args.Length > 0 && args[0] == PhotoShare.Option)
{
    return PhotoShare.Run(args);
}

if (args.Length > 0 && args[0] == DetectorComparison.Option)
{
    return DetectorComparison.Run(args);
}

if (args.Length > 0 && args[0] == DetectorComparison.ThresholdsOption)
{
    return DetectorComparison.RunThresholds();
}

if (args.Length > 0 && args[0] == DetectorComparison.ScalesOption)
{
    return DetectorComparison.RunScales(args);
}

if (args.Length > 0 && args[0] == SessionCache.Option)
{
    return SessionCache.Run();
}

BenchmarkEnvironment.ResolvePathVariables();
IEnumerable<Summary> summaries = BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args, BenchmarkConfig.Create(args));

// A benchmark that throws is only logged by BenchmarkDotNet; fail the run so scripts notice.
return summaries.Any(s => s.HasCriticalValidationErrors || s.Reports.Any(r => !r.Success)) ? 1 : 0;
