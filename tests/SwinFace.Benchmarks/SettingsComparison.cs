using System.Globalization;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using SwinFace.Analysis;
using SwinFace.Detection;
using SwinFace.Imaging;

namespace SwinFace.Benchmarks;

/// <summary>
/// <c>--settings [ROUNDS]</c>: the thread and batching settings behind the library's defaults, compared in one
/// process. Each round times every setting once, in turn, so that all of them see the same moments of a noisy
/// machine; the medians over the rounds are printed.
/// </summary>
/// <remarks>
/// For each setting: full analysis and identity only of the same 8 faces, and the ratio of the two medians.
/// Then BlazeFace detection of the benchmark photo with and without spinning.
/// </remarks>
internal static class SettingsComparison
{
    public const string Option = "--settings";

    public static int Run(IReadOnlyList<string> args)
    {
        int rounds = args.Count > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 7;
        int threads = BenchmarkEnvironment.Threads();
        var spinning = new BlazeFaceOptions { IntraOpThreads = threads };
        var still = new BlazeFaceOptions { IntraOpThreads = threads, Spinning = false };
        using BlazeFaceDetector detector = BlazeFaceDetector.Create(spinning);
        using BlazeFaceDetector stillDetector = BlazeFaceDetector.Create(still);
        (string Name, FaceAnalyzerOptions Options)[] settings =
        [
            ("no spinning, backbone runs of 8", new() { IntraOpThreads = threads, Detector = detector, Spinning = false, BackboneChunk = 8 }),
            ("no spinning, backbone runs of 2", new() { IntraOpThreads = threads, Detector = detector, Spinning = false, BackboneChunk = 2 }),
            ("spinning during runs, backbone runs of 8", new() { IntraOpThreads = threads, Detector = detector, BackboneChunk = 8 }),
            ("spinning during runs, backbone runs of 4 (default)", new() { IntraOpThreads = threads, Detector = detector }),
            ("spinning during runs, backbone runs of 2", new() { IntraOpThreads = threads, Detector = detector, BackboneChunk = 2 }),
        ];
        FaceAnalyzer[] analyzers = settings.Select(s => FaceAnalyzer.Create(BenchmarkEnvironment.ModelPath(), s.Options)).ToArray();
        Image<Rgb24>[] faces = SyntheticData.Faces(8, seed: 42);
        using Image<Rgb24> photo = ImageFile.Load(BenchmarkEnvironment.PhotoPath());
        try
        {
            var full = analyzers.Select(_ => new List<double>()).ToArray();
            var identity = analyzers.Select(_ => new List<double>()).ToArray();
            var detection = new[] { new List<double>(), new List<double>() };
            BlazeFaceDetector[] detectors = [stillDetector, detector];
            for (int round = -1; round < rounds; round++)
            {
                for (int i = 0; i < analyzers.Length; i++)
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

                for (int d = 0; d < detectors.Length; d++)
                {
                    BlazeFaceDetector det = detectors[d];
                    double t = Timing.Median(Enumerable.Range(0, 9).Select(_ => Timing.Seconds(() => det.Detect(photo))).ToList());
                    if (round >= 0)
                    {
                        detection[d].Add(t);
                    }
                }
            }

            Console.WriteLine($"{rounds} rounds, batch 8, medians; threads: {(threads == 0 ? "ONNX Runtime's choice" : threads)}");
            Console.WriteLine("| setting | full faces/s | identity faces/s | identity / full |");
            Console.WriteLine("|---|---:|---:|---:|");
            for (int i = 0; i < analyzers.Length; i++)
            {
                double f = 8 / Timing.Median(full[i]), id = 8 / Timing.Median(identity[i]);
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {settings[i].Name} | {f:F2} | {id:F2} | {id / f:F3} |"));
            }

            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"BlazeFace on {Path.GetFileName(BenchmarkEnvironment.PhotoPath())}: {1000 * Timing.Median(detection[0]):F2} ms without spinning, {1000 * Timing.Median(detection[1]):F2} ms with spinning during runs"));
            return 0;
        }
        finally
        {
            Array.ForEach(analyzers, a => a.Dispose());
            Array.ForEach(faces, f => f.Dispose());
        }
    }
}
