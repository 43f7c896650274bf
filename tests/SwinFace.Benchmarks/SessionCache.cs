using System.Diagnostics;
using System.IO.Compression;
using Microsoft.ML.OnnxRuntime;

namespace SwinFace.Benchmarks;

/// <summary>
/// <c>--session-cache</c>: does an optimised-model cache pay? Times creating the model's 12 ONNX Runtime
/// sessions with graph optimisation, against loading the same graphs already optimised and saved in
/// ONNX Runtime's format (what a cache folder would hold). Medians of 5 creations per graph.
/// </summary>
internal static class SessionCache
{
    public const string Option = "--session-cache";

    public static int Run()
    {
        string dir = Directory.CreateTempSubdirectory("swinface-cache-").FullName;
        try
        {
            using (ZipArchive zip = ZipFile.OpenRead(BenchmarkEnvironment.ModelPath()))
            {
                foreach (ZipArchiveEntry entry in zip.Entries.Where(e => e.FullName.EndsWith(".onnx", StringComparison.Ordinal)))
                {
                    entry.ExtractToFile(Path.Combine(dir, entry.FullName));
                }
            }

            double optimising = 0, cached = 0;
            foreach (string graph in Directory.GetFiles(dir, "*.onnx"))
            {
                string ort = Path.ChangeExtension(graph, ".ort");
                using (var save = new SessionOptions { GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL, OptimizedModelFilePath = ort })
                {
                    new InferenceSession(graph, save).Dispose();
                }

                using var optimise = new SessionOptions { GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL };
                using var load = new SessionOptions { GraphOptimizationLevel = GraphOptimizationLevel.ORT_DISABLE_ALL };
                optimising += Median(() => new InferenceSession(graph, optimise));
                cached += Median(() => new InferenceSession(ort, load));
            }

            Console.WriteLine($"12 sessions, optimised at load: {optimising:F0} ms");
            Console.WriteLine($"12 sessions, from an optimised-model cache: {cached:F0} ms");
            Console.WriteLine($"saved by a cache: {optimising - cached:F0} ms per load");
            return 0;
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private static double Median(Func<InferenceSession> create)
    {
        double[] times = new double[5];
        for (int i = 0; i < times.Length; i++)
        {
            long start = Stopwatch.GetTimestamp();
            create().Dispose();
            times[i] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
        }

        Array.Sort(times);
        return times[times.Length / 2];
    }
}
