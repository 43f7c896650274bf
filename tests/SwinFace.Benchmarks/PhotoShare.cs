using System.Globalization;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using SwinFace.Alignment;
using SwinFace.Analysis;
using SwinFace.Detection;
using SwinFace.Imaging;

namespace SwinFace.Benchmarks;

/// <summary>
/// <c>--photo-share [PHOTO...] [--rounds N]</c>: the photo pipeline stage by stage with YuNet and with BlazeFace, in
/// turns: decode, detect, align and analyse (full, every face in one batch), and end to end through
/// <see cref="FaceAnalyzer.AnalyzePhoto(byte[], FaceTasks, bool)"/>. Prints the medians and the share of decode +
/// detect + align in the model time. The default photo is <c>three-faces.jpg</c>.
/// </summary>
/// <remarks>
/// Each round runs every stage of both detectors once, so that both see the same moments of a noisy machine; the
/// share is computed from the medians.
/// </remarks>
internal static class PhotoShare
{
    public const string Option = "--photo-share";

    public static int Run(IReadOnlyList<string> args)
    {
        int at = args.ToList().IndexOf("--rounds");
        int rounds = at > 0 ? int.Parse(args[at + 1], CultureInfo.InvariantCulture) : 7;
        string[] photos = [.. args.Skip(1).Take((at > 0 ? at : args.Count) - 1)];
        if (photos.Length == 0)
        {
            photos = [BenchmarkEnvironment.PhotoPath()];
        }

        int threads = BenchmarkEnvironment.Threads();
        using var yunet = YuNetDetector.Create(new YuNetOptions { IntraOpThreads = threads });
        using var blazeFace = BlazeFaceDetector.Create(new BlazeFaceOptions { IntraOpThreads = threads });
        using FaceAnalyzer analyzer = FaceAnalyzer.Create(BenchmarkEnvironment.ModelPath(), new FaceAnalyzerOptions { IntraOpThreads = threads, Detector = yunet });
        using FaceAnalyzer blazeAnalyzer = FaceAnalyzer.Create(BenchmarkEnvironment.ModelPath(), new FaceAnalyzerOptions { IntraOpThreads = threads, Detector = blazeFace });
        (string Name, IFaceDetector Detector, FaceAnalyzer Analyzer)[] pipelines = [("YuNet", yunet, analyzer), ("BlazeFace", blazeFace, blazeAnalyzer)];
        Console.WriteLine("| photo | detector | faces | decode | detect | align | analyse | decode + detect + align, share of analyse | end to end |");
        Console.WriteLine("|---|---|---:|---:|---:|---:|---:|---:|---:|");
        foreach (string path in photos)
        {
            byte[] encoded = File.ReadAllBytes(path);
            using Image<Rgb24> decoded = ImageFile.Load(encoded);
            var faces = pipelines.Select(p => p.Detector.Detect(decoded)).ToArray();
            var crops = faces.Select(f => f.Select(d => FaceAligner.Align(decoded, d.Landmarks)).ToArray()).ToArray();
            try
            {
                var decode = new List<double>();
                var times = pipelines.Select(_ => (Detect: new List<double>(), Align: new List<double>(), Analyse: new List<double>(), EndToEnd: new List<double>())).ToArray();
                for (int round = -1; round < rounds; round++)
                {
                    double d = Timing.Seconds(() => ImageFile.Load(encoded).Dispose());
                    for (int i = 0; i < pipelines.Length; i++)
                    {
                        (string _, IFaceDetector detector, FaceAnalyzer a) = pipelines[i];
                        IReadOnlyList<FaceDetection> found = faces[i];
                        Image<Rgb24>[] c = crops[i];
                        double detect = Timing.Seconds(() => detector.Detect(decoded));
                        double align = Timing.Seconds(() => Array.ForEach([.. found.Select(f => FaceAligner.Align(decoded, f.Landmarks))], x => x.Dispose()));
                        double analyse = c.Length == 0 ? 0 : Timing.Seconds(() => a.Analyze(c, FaceTasks.All));
                        double endToEnd = Timing.Seconds(() => a.AnalyzePhoto(encoded));
                        if (round >= 0)
                        {
                            times[i].Detect.Add(detect);
                            times[i].Align.Add(align);
                            times[i].Analyse.Add(analyse);
                            times[i].EndToEnd.Add(endToEnd);
                        }
                    }

                    if (round >= 0)
                    {
                        decode.Add(d);
                    }
                }

                double decodeMs = Timing.Median(decode) * 1e3;
                for (int i = 0; i < pipelines.Length; i++)
                {
                    double detect = Timing.Median(times[i].Detect) * 1e3, align = Timing.Median(times[i].Align) * 1e3;
                    double analyse = Timing.Median(times[i].Analyse) * 1e3, endToEnd = Timing.Median(times[i].EndToEnd) * 1e3;
                    using Image<Rgb24> probe = ImageFile.Load(encoded);
                    Console.WriteLine(FormattableString.Invariant(
                        $"| {Path.GetFileName(path)} ({probe.Width} x {probe.Height}) | {pipelines[i].Name} | {faces[i].Count} | {decodeMs:F1} ms | {detect:F1} ms | {align:F1} ms | {analyse:F1} ms | {100 * (decodeMs + detect + align) / analyse:F1}% | {endToEnd:F1} ms |"));
                }
            }
            finally
            {
                foreach (Image<Rgb24>[] c in crops)
                {
                    Array.ForEach(c, x => x.Dispose());
                }
            }
        }

        return 0;
    }
}
