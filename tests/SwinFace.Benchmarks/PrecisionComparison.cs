using System.Globalization;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using SwinFace.Analysis;

namespace SwinFace.Benchmarks;

/// <summary>
/// <c>--precision FP32_MODEL INT8_MODEL [ROUNDS]</c>: full analysis and identity only at batch 8, fp32 against int8,
/// in one process and in turns (each round times each model once), so that both see the same moments of a noisy
/// machine. Prints the medians and the ratios.
/// </summary>
internal static class PrecisionComparison
{
    public const string Option = "--precision";

    public static int Run(IReadOnlyList<string> args)
    {
        if (args.Count < 3)
        {
            Console.Error.WriteLine("usage: --precision FP32_MODEL INT8_MODEL [ROUNDS]");
            return 2;
        }

        int rounds = args.Count > 3 ? int.Parse(args[3], CultureInfo.InvariantCulture) : 9;
        int threads = BenchmarkEnvironment.Threads();
        var options = new FaceAnalyzerOptions { IntraOpThreads = threads };
        using FaceAnalyzer fp32 = FaceAnalyzer.Create(args[1], options);
        using FaceAnalyzer int8 = FaceAnalyzer.Create(args[2], options);
        Image<Rgb24>[] faces = SyntheticData.Faces(8, seed: 42);
        try
        {
            FaceAnalyzer[] analyzers = [fp32, int8];
            var full = new[] { new List<double>(), new List<double>() };
            var identity = new[] { new List<double>(), new List<double>() };
            for (int round = -1; round < rounds; round++)
            {
                for (int i = 0; i < 2; i++)
                {
                    FaceAnalyzer a = analyzers[i];
                    double f = Timing.Seconds(() => a.Analyze(faces, FaceTasks.All));
                    double id = Timing.Seconds(() => a.Analyze(faces, FaceTasks.Identity));
                    if (round >= 0)
                    {
                        full[i].Add(f);
                        identity[i].Add(id);
                    }
                }
            }

            double ff = 8 / Timing.Median(full[0]), fi = 8 / Timing.Median(full[1]), idf = 8 / Timing.Median(identity[0]), idi = 8 / Timing.Median(identity[1]);
            Console.WriteLine($"{rounds} rounds in turns, batch 8, medians; threads: {(threads == 0 ? "ONNX Runtime's choice" : threads)}");
            Console.WriteLine("| | fp32 faces/s | int8 faces/s | int8 / fp32 |");
            Console.WriteLine("|---|---:|---:|---:|");
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| full analysis | {ff:F2} | {fi:F2} | {fi / ff:F2} |"));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| identity only | {idf:F2} | {idi:F2} | {idi / idf:F2} |"));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"per-round ratios, full: {string.Join(" ", full[0].Zip(full[1], (a, b) => (a / b).ToString("F2", CultureInfo.InvariantCulture)))}"));
            return 0;
        }
        finally
        {
            Array.ForEach(faces, f => f.Dispose());
        }
    }
}
