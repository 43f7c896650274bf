using System.Diagnostics.Metrics;

namespace SwinFace.Inference;

/// <summary>The library's instruments, on the meter <see cref="FaceAnalyzer.MeterName"/>.</summary>
internal static class SwinFaceMetrics
{
    private static readonly Meter Meter = new(FaceAnalyzer.MeterName, typeof(SwinFaceMetrics).Assembly.GetName().Version?.ToString(3));

    /// <summary>Faces through the model.</summary>
    public static readonly Counter<long> Faces = Meter.CreateCounter<long>("swinface.faces", "{face}", "Faces analysed by the model.");

    /// <summary>Calls refused because the queue was full.</summary>
    public static readonly Counter<long> Rejected = Meter.CreateCounter<long>("swinface.rejected", "{call}", "Calls refused at once because the analyzer's queue was full (FaceAnalyzerOptions.MaxQueuedFaces).");

    /// <summary>Faces waiting for a model run.</summary>
    public static readonly UpDownCounter<long> QueuedFaces = Meter.CreateUpDownCounter<long>("swinface.queue.faces", "{face}", "Faces waiting for a model run.");

    /// <summary>Faces per model run.</summary>
    public static readonly Histogram<int> BatchSize = Meter.CreateHistogram(
        "swinface.batch.size",
        "{face}",
        "Faces in one model run.",
        advice: new InstrumentAdvice<int> { HistogramBucketBoundaries = [1, 2, 4, 8, 16, 32, 64] });

    /// <summary>Seconds per model run.</summary>
    public static readonly Histogram<double> BatchDuration = Meter.CreateHistogram(
        "swinface.batch.duration",
        "s",
        "Time of one model run: the backbone and the branches the batch's tasks need.",
        advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5] });

    public static void Batch(int faces, double seconds)
    {
        Faces.Add(faces);
        BatchSize.Record(faces);
        BatchDuration.Record(seconds);
    }
}
