using System.CommandLine;
using System.Diagnostics;
using System.Text.Json;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing;
using SwinFace.Alignment;
using SwinFace.Analysis;
using SwinFace.Detection;
using SwinFace.Imaging;

namespace SwinFace.Cli;

/// <summary>
/// The <c>bench</c> command: quick throughput figures (medians of repeated runs) for full analysis at
/// several batch sizes, for each task alone, and for the photo pipeline stage by stage.
/// </summary>
internal static class BenchCommand
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    private static readonly Option<string> Model = new("--model") { Description = "Path of a .swinface model file (use the full-size model for real figures).", Required = true };
    private static readonly Option<string?> Photo = new("--photo") { Description = "A photo for the end-to-end pipeline figures." };
    private static readonly Option<int[]> Batches = new("--batch") { Description = "Batch sizes for full analysis.", DefaultValueFactory = _ => [1, 8, 32], AllowMultipleArgumentsPerToken = true };
    private static readonly Option<int> Repeats = new("--repeats") { Description = "Timed runs per figure; the median is reported.", DefaultValueFactory = _ => 5 };
    private static readonly Option<int> Threads = new("--threads") { Description = "ONNX Runtime threads per model run; 0 lets ONNX Runtime choose.", DefaultValueFactory = _ => 0 };
    private static readonly Option<bool> Json = new("--json") { Description = "Print one JSON document." };
    private static readonly Option<bool> FullOnly = new("--full-only") { Description = "Measure only full analysis at the given batch sizes." };
    private static readonly Option<string> Detector = FaceInputs.DetectorOption();

    public static Command Create()
    {
        var command = new Command("bench", "Measure faces per second, per-stage photo times, allocations and peak memory.");
        command.Options.Add(Model);
        command.Options.Add(Photo);
        command.Options.Add(Batches);
        command.Options.Add(Repeats);
        command.Options.Add(Threads);
        command.Options.Add(Json);
        command.Options.Add(FullOnly);
        command.Options.Add(Detector);
        command.SetAction(Run);
        return command;
    }

    private static int Run(ParseResult parse)
    {
        try
        {
            var report = new Dictionary<string, object>();
            int repeats = Math.Max(1, parse.GetValue(Repeats));
            // One detector for the analyzer and for the stage timings, so that both measure the same thing.
            int threads = parse.GetValue(Threads);
            using IDisposable detector = parse.GetValue(Detector) == "blazeface"
                ? BlazeFaceDetector.Create(new BlazeFaceOptions { IntraOpThreads = threads })
                : YuNetDetector.Create(new YuNetOptions { IntraOpThreads = threads });
            using FaceAnalyzer analyzer = FaceAnalyzer.Create(parse.GetValue(Model)!, new FaceAnalyzerOptions { IntraOpThreads = threads, Detector = (IFaceDetector)detector });
            report["detector"] = parse.GetValue(Detector)!;
            report["model"] = $"{analyzer.ModelName} {analyzer.ModelVersion}";
            report["threads"] = parse.GetValue(Threads);
            report["processorCount"] = Environment.ProcessorCount;

            int maxBatch = parse.GetValue(Batches)!.Max();
            Image<Rgb24>[] faces = SyntheticFaces(Math.Max(maxBatch, 8));
            try
            {
                var full = new Dictionary<string, double>();
                var allocations = new Dictionary<string, double>();
                foreach (int batch in parse.GetValue(Batches)!)
                {
                    Image<Rgb24>[] input = faces[..batch];
                    (double seconds, double bytes) = Measure(() => analyzer.Analyze(input, FaceTasks.All), repeats);
                    full[$"batch{batch}"] = batch / seconds;
                    allocations[$"batch{batch}"] = bytes / batch;
                    Progress($"full analysis, batch {batch}: {batch / seconds:F2} faces/s");
                }

                report["fullFacesPerSecond"] = full;
                report["allocatedBytesPerFace"] = allocations;
                if (parse.GetValue(FullOnly))
                {
                    return Finish(report, parse.GetValue(Json));
                }

                var tasks = new Dictionary<string, double>();
                Image<Rgb24>[] eight = faces[..8];
                foreach (FaceTasks task in new[] { FaceTasks.Identity, FaceTasks.Gender, FaceTasks.Age, FaceTasks.Expression, FaceTasks.Attributes })
                {
                    (double seconds, _) = Measure(() => analyzer.Analyze(eight, task), repeats);
                    tasks[task.ToString()] = 8 / seconds;
                    Progress($"{task} only, batch 8: {8 / seconds:F2} faces/s");
                }

                report["taskFacesPerSecondBatch8"] = tasks;

                // Identity against full analysis, run in turns so that both see the same moments of a noisy
                // machine: the median of the pairs' ratios.
                (double fullSeconds, double identitySeconds, double ratio) = MeasurePairs(
                    () => analyzer.Analyze(eight, FaceTasks.All), () => analyzer.Analyze(eight, FaceTasks.Identity), repeats);
                report["identityVsFullBatch8"] = new Dictionary<string, double>
                {
                    ["fullFacesPerSecond"] = 8 / fullSeconds,
                    ["identityFacesPerSecond"] = 8 / identitySeconds,
                    ["ratio"] = ratio,
                };
                Progress($"identity / full, batch 8, in turns: {ratio:F3} ({8 / identitySeconds:F2} / {8 / fullSeconds:F2} faces/s)");

                // 8 callers with one face each, on their own threads released at once, against one caller
                // with a batch of 8.
                AtOnce(8, i => analyzer.Analyze(eight[i], FaceTasks.All)); // warm-up
                double together = Enumerable.Range(0, repeats).Select(_ => AtOnce(8, i => analyzer.Analyze(eight[i], FaceTasks.All))).Order().ElementAt(repeats / 2);
                report["concurrentCallersFacesPerSecond"] = new Dictionary<string, double> { ["callers8x1"] = 8 / together, ["caller1x8"] = full.GetValueOrDefault("batch8") };
                Progress($"8 concurrent callers with 1 face each: {8 / together:F2} faces/s");
            }
            finally
            {
                Array.ForEach(faces, f => f.Dispose());
            }

            if (parse.GetValue(Photo) is { } photo)
            {
                report["photo"] = PhotoStages(analyzer, (IFaceDetector)detector, photo, repeats);
            }

            return Finish(report, parse.GetValue(Json));
        }
        catch (Exception e) when (e is SwinFaceModelException or SwinFaceImageException or IOException)
        {
            return Cli.Fail(2, e.Message);
        }
    }

    private static int Finish(Dictionary<string, object> report, bool json)
    {
        report["peakWorkingSetMB"] = Process.GetCurrentProcess().PeakWorkingSet64 / (1024.0 * 1024.0);
        if (json)
        {
            Console.WriteLine(JsonSerializer.Serialize(report, Indented));
        }
        else
        {
            Console.WriteLine($"peak working set: {report["peakWorkingSetMB"]:F0} MB");
        }

        return 0;
    }

    /// <summary>The photo pipeline rebuilt from public parts, so each stage can be timed alone.</summary>
    private static Dictionary<string, object> PhotoStages(FaceAnalyzer analyzer, IFaceDetector detector, string path, int repeats)
    {
        byte[] encoded = File.ReadAllBytes(path);
        Image<Rgb24> Decode()
        {
            return ImageFile.Load(encoded);
        }

        using Image<Rgb24> decoded = Decode();
        IReadOnlyList<FaceDetection> found = detector.Detect(decoded);
        Image<Rgb24>[] crops = found.Select(f => FaceAligner.Align(decoded, f.Landmarks)).ToArray();
        try
        {
            double decode = Measure(() => Decode().Dispose(), repeats).Seconds;
            double detect = Measure(() => detector.Detect(decoded), repeats).Seconds;
            double align = Measure(() => Array.ForEach(found.Select(f => FaceAligner.Align(decoded, f.Landmarks)).ToArray(), c => c.Dispose()), repeats).Seconds;
            double analyse = Measure(() => analyzer.Analyze(crops, FaceTasks.All), repeats).Seconds;
            double endToEnd = Measure(() => analyzer.AnalyzePhoto(encoded), repeats).Seconds;
            double pre = decode + detect + align;
            Progress($"photo {decoded.Width}x{decoded.Height}, {found.Count} faces: decode {decode * 1e3:F1} ms, detect {detect * 1e3:F1} ms, align {align * 1e3:F1} ms, analyse {analyse * 1e3:F0} ms; decode+detect+align = {100 * pre / analyse:F1}% of the model time; end to end {endToEnd * 1e3:F0} ms");
            return new Dictionary<string, object>
            {
                ["file"] = path,
                ["width"] = decoded.Width,
                ["height"] = decoded.Height,
                ["faces"] = found.Count,
                ["decodeMs"] = decode * 1e3,
                ["detectMs"] = detect * 1e3,
                ["alignMs"] = align * 1e3,
                ["analyseMs"] = analyse * 1e3,
                ["preprocessShareOfModel"] = pre / analyse,
                ["endToEndMs"] = endToEnd * 1e3,
            };
        }
        finally
        {
            Array.ForEach(crops, c => c.Dispose());
        }
    }

    /// <summary>Median seconds of one call over <paramref name="repeats"/> runs after a warm-up, and the managed bytes one call allocates.</summary>
    private static (double Seconds, double Bytes) Measure(Action action, int repeats)
    {
        action();
        var times = new double[repeats];
        long allocated = GC.GetTotalAllocatedBytes(precise: true);
        for (int i = 0; i < repeats; i++)
        {
            long start = Stopwatch.GetTimestamp();
            action();
            times[i] = Stopwatch.GetElapsedTime(start).TotalSeconds;
        }

        double bytes = (GC.GetTotalAllocatedBytes(precise: true) - allocated) / (double)repeats;
        Array.Sort(times);
        return (times[repeats / 2], bytes);
    }

    /// <summary>
    /// Runs <paramref name="a"/> and <paramref name="b"/> in turns after a warm-up. Returns the median seconds of
    /// each, and the median over the pairs of a's time over b's, that is b's speed over a's.
    /// </summary>
    private static (double A, double B, double Ratio) MeasurePairs(Action a, Action b, int repeats)
    {
        a();
        b();
        var ta = new double[repeats];
        var tb = new double[repeats];
        var ratios = new double[repeats];
        for (int i = 0; i < repeats; i++)
        {
            long start = Stopwatch.GetTimestamp();
            a();
            ta[i] = Stopwatch.GetElapsedTime(start).TotalSeconds;
            start = Stopwatch.GetTimestamp();
            b();
            tb[i] = Stopwatch.GetElapsedTime(start).TotalSeconds;
            ratios[i] = ta[i] / tb[i];
        }

        Array.Sort(ta);
        Array.Sort(tb);
        Array.Sort(ratios);
        return (ta[repeats / 2], tb[repeats / 2], ratios[repeats / 2]);
    }

    /// <summary>
    /// Runs <paramref name="call"/> on <paramref name="callers"/> threads of its own, released together once all
    /// have started. Returns the seconds from the release until the last call returns.
    /// </summary>
    private static double AtOnce(int callers, Action<int> call)
    {
        using var ready = new CountdownEvent(callers);
        using var go = new ManualResetEventSlim();
        var threads = new Thread[callers];
        for (int i = 0; i < callers; i++)
        {
            int caller = i;
            threads[i] = new Thread(() =>
            {
                ready.Signal();
                go.Wait();
                call(caller);
            });
            threads[i].Start();
        }

        ready.Wait();
        long start = Stopwatch.GetTimestamp();
        go.Set();
        foreach (Thread t in threads)
        {
            t.Join();
        }

        return Stopwatch.GetElapsedTime(start).TotalSeconds;
    }

    private static Image<Rgb24>[] SyntheticFaces(int count)
    {
        var random = new Random(42);
        var faces = new Image<Rgb24>[count];
        for (int i = 0; i < count; i++)
        {
            byte[] rgb = new byte[112 * 112 * 3];
            random.NextBytes(rgb);
            faces[i] = Image.LoadPixelData<Rgb24>(rgb, 112, 112);
        }

        return faces;
    }

    private static void Progress(string line) => Console.Error.WriteLine(line);
}
