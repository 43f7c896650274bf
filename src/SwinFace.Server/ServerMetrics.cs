using System.Diagnostics.Metrics;

namespace SwinFace.Server;

/// <summary>
/// The service's own instruments, on the meter <c>SwinFace.Server</c>; the library's (faces, queue, batches) are on
/// <see cref="FaceAnalyzer.MeterName"/>, and ASP.NET Core's (requests, latency) on its own meters.
/// </summary>
internal static class ServerMetrics
{
    public const string MeterName = "SwinFace.Server";

    private static readonly Meter Meter = new(MeterName);

    /// <summary>Images received in analysis requests.</summary>
    public static readonly Counter<long> Images = Meter.CreateCounter<long>("swinface.server.images", "{image}", "Images received for analysis.");

    /// <summary>Requests refused before any work, by reason.</summary>
    public static readonly Counter<long> Rejected = Meter.CreateCounter<long>("swinface.server.rejected", "{request}", "Requests refused: reason=busy (queue full), concurrency (too many requests), timeout, too_large.");
}
