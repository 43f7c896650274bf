using System.Diagnostics;

namespace SwinFace.Benchmarks;

/// <summary>What the in-turns comparisons share: timing one call, and the median of the times.</summary>
internal static class Timing
{
    public static double Seconds(Action action)
    {
        long start = Stopwatch.GetTimestamp();
        action();
        return Stopwatch.GetElapsedTime(start).TotalSeconds;
    }

    /// <summary>The wall time and the CPU time of the whole process (all its threads), in seconds, of one call.</summary>
    public static (double Wall, double Cpu) WallAndCpu(Action action)
    {
        using Process process = Process.GetCurrentProcess();
        TimeSpan cpu = process.TotalProcessorTime;
        long start = Stopwatch.GetTimestamp();
        action();
        double wall = Stopwatch.GetElapsedTime(start).TotalSeconds;
        process.Refresh();
        return (wall, (process.TotalProcessorTime - cpu).TotalSeconds);
    }

    public static double Median(IEnumerable<double> values)
    {
        double[] sorted = [.. values.Order()];
        return sorted[sorted.Length / 2];
    }
}
