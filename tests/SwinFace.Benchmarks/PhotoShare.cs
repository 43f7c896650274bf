using System.Globalization;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using SwinFace.Alignment;
using SwinFace.Analysis;
using SwinFace.Detection;
using SwinFace.Imaging;
using SwinFace.Tests.Detection;

namespace SwinFace.Benchmarks;

/// <summary>
/// <c>--photo-share [PHOTO...] [--group] [--rounds N]</c>: the photo pipeline stage by stage with YuNet (and yunet_s) and with
/// BlazeFace, in turns: decode, detect, align and analyse (full, every face in one batch), and end to end through
/// <see cref="FaceAnalyzer.AnalyzePhoto(byte[], FaceTasks, bool)"/>. Prints the medians and the share of decode +
/// detect + align in the model time, from wall times and from the process's CPU times (all threads; less disturbed
/// by other work on the machine). The default photo is <c>three-faces.jpg</c>; <c>--group</c> adds a synthetic
/// 10-megapixel group photo of 31 faces (<see cref="SyntheticGroupPhoto"/>).
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
        bool group = args.Contains("--group");
        string[] photos = [.. args.Skip(1).Take((at > 0 ? at : args.Count) - 1).Where(a => a != "--group")];
        if (photos.Length == 0 && !group)
        {
            photos = [BenchmarkEnvironment.PhotoPath()];
        }

        if (group)
        {
            // A 10-megapixel group photo: 31 of the hand-labelled faces at 64 px, as a JPEG of quality 90.
            string path = Path.Combine(Path.GetTempPath(), "swinface-group-4844x2022-31x64.jpg");
            using var faces = new SyntheticGroupPhoto(LabelledPhotos.Load(Path.Combine(BenchmarkEnvironment.RepositoryRoot, "..", "shared"), null));
            (Image<Rgb24> photo, _) = faces.Create(4844, 2022, 31, 64);
            using (photo)
            {
                photo.SaveAsJpeg(path, new SixLabors.ImageSharp.Formats.Jpeg.JpegEncoder { Quality = 90 });
            }

            photos = [.. photos, path];
        }

        int threads = BenchmarkEnvironment.Threads();
        using var yunet = YuNetDetector.Create(new YuNetOptions { IntraOpThreads = threads });
        string small = Path.Combine(BenchmarkEnvironment.RepositoryRoot, "models", "yunet", "yunet_s_dynamic.onnx");
        using var yunetS = YuNetDetector.Create(new YuNetOptions { IntraOpThreads = threads, ModelPath = small, ScoreThreshold = 0.7f });
        using var blazeFace = BlazeFaceDetector.Create(new BlazeFaceOptions { IntraOpThreads = threads });

        // One analyzer for all: the detector only chooses the faces, and the end-to-end column is the default's.
        using FaceAnalyzer analyzer = FaceAnalyzer.Create(BenchmarkEnvironment.ModelPath(), new FaceAnalyzerOptions { IntraOpThreads = threads, Detector = yunet });
        using FaceAnalyzer blazeAnalyzer = FaceAnalyzer.Create(BenchmarkEnvironment.ModelPath(), new FaceAnalyzerOptions { IntraOpThreads = threads, Detector = blazeFace });
        (string Name, IFaceDetector Detector, FaceAnalyzer? Analyzer)[] pipelines = [("YuNet (yunet_n, the default)", yunet, analyzer), ("yunet_s, 0.7", yunetS, null), ("BlazeFace", blazeFace, blazeAnalyzer)];
        Console.WriteLine("| photo | detector | faces | decode | detect | align | analyse | decode + detect + align, share of analyse | the same in CPU time | end to end |");
        Console.WriteLine("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (string path in photos)
        {
            byte[] encoded = File.ReadAllBytes(path);
            using Image<Rgb24> decoded = ImageFile.Load(encoded);
            var faces = pipelines.Select(p => p.Detector.Detect(decoded)).ToArray();
            var crops = faces.Select(f => f.Select(d => FaceAligner.Align(decoded, d.Landmarks)).ToArray()).ToArray();
            try
            {
                // Stage -> (wall, CPU) per round; stage 0 is decoding, shared by both pipelines.
                var times = new List<(double Wall, double Cpu)>[1 + (4 * pipelines.Length)];
                for (int i = 0; i < times.Length; i++)
                {
                    times[i] = [];
                }

                for (int round = -1; round < rounds; round++)
                {
                    var sample = new List<(double, double)> { Timing.WallAndCpu(() => ImageFile.Load(encoded).Dispose()) };
                    for (int i = 0; i < pipelines.Length; i++)
                    {
                        (string _, IFaceDetector detector, FaceAnalyzer? end) = pipelines[i];
                        IReadOnlyList<FaceDetection> found = faces[i];
                        Image<Rgb24>[] c = crops[i];
                        sample.Add(Timing.WallAndCpu(() => detector.Detect(decoded)));
                        sample.Add(Timing.WallAndCpu(() => Array.ForEach([.. found.Select(f => FaceAligner.Align(decoded, f.Landmarks))], x => x.Dispose())));
                        sample.Add(c.Length == 0 ? (0, 0) : Timing.WallAndCpu(() => analyzer.Analyze(c, FaceTasks.All)));
                        sample.Add(end is null ? (0, 0) : Timing.WallAndCpu(() => end.AnalyzePhoto(encoded)));
                    }

                    if (round >= 0)
                    {
                        for (int i = 0; i < times.Length; i++)
                        {
                            times[i].Add(sample[i]);
                        }
                    }
                }

                double Wall(int stage) => Timing.Median(times[stage].Select(t => t.Wall)) * 1e3;
                double Cpu(int stage) => Timing.Median(times[stage].Select(t => t.Cpu)) * 1e3;
                for (int i = 0; i < pipelines.Length; i++)
                {
                    int b = 1 + (4 * i);
                    double share = (Wall(0) + Wall(b) + Wall(b + 1)) / Wall(b + 2), cpuShare = (Cpu(0) + Cpu(b) + Cpu(b + 1)) / Cpu(b + 2);
                    string shares = faces[i].Count == 0 ? "no face | no face" : FormattableString.Invariant($"{100 * share:F1}% | {100 * cpuShare:F1}%");
                    Console.WriteLine(FormattableString.Invariant(
                        $"| {Path.GetFileName(path)} ({decoded.Width} x {decoded.Height}) | {pipelines[i].Name} | {faces[i].Count} | {Wall(0):F1} ms | {Wall(b):F1} ms | {Wall(b + 1):F1} ms | {Wall(b + 2):F1} ms | {shares} | {(pipelines[i].Analyzer is null ? "" : FormattableString.Invariant($"{Wall(b + 3):F1} ms"))} |"));
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
