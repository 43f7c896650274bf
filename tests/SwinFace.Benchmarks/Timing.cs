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

    public static double Median(IEnumerable<double> values)
    {
        double[] sorted = [.. values.Order()];
        return sorted[sorted.Length / 2];
    }
}
