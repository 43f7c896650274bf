using System.Globalization;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using SwinFace.Detection;
using SwinFace.Imaging;
using SwinFace.Tests.Detection;

namespace SwinFace.Benchmarks;

/// <summary>
/// <c>--detectors [ROUNDS]</c>: YuNet (yunet_s, the default, and yunet_n) and BlazeFace on every labelled photo
/// of <c>../shared/testdata/</c>, side by side: faces found, labelled faces matched (IoU 0.5 with the hand-drawn
/// boxes, or the count where a photo has only a count), extra detections, and the median time of a detection.
/// <c>--detector-scales WIDTH HEIGHT COUNT SIZE... [--rounds N]</c>: the working resolutions compared on synthetic
/// group photos of WIDTH x HEIGHT with COUNT hand-labelled faces of each box width SIZE.
/// </summary>
/// <remarks>
/// Each round times every detector once on a photo, in turn, after one warm-up run, so that all see the same
/// moments of a noisy machine.
/// </remarks>
internal static class DetectorComparison
{
    public const string Option = "--detectors";
    public const string ScalesOption = "--detector-scales";

    private static string Shared => Path.GetFullPath(Path.Combine(BenchmarkEnvironment.RepositoryRoot, "..", "shared"));

    private static string YuNetModel(string name) => Path.Combine(BenchmarkEnvironment.RepositoryRoot, "models", "yunet", name);

    private static string Astronaut => Path.Combine(BenchmarkEnvironment.RepositoryRoot, "models", "testimages", "astronaut.png");

    public static int Run(IReadOnlyList<string> args)
    {
        int rounds = args.Count > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 7;
        int threads = BenchmarkEnvironment.Threads();
        using var yunetN = YuNetDetector.Create(new YuNetOptions { IntraOpThreads = threads });
        using var yunetS = YuNetDetector.Create(new YuNetOptions { IntraOpThreads = threads, ModelPath = YuNetModel("yunet_s_dynamic.onnx"), ScoreThreshold = 0.7f });
        using var blazeFace = BlazeFaceDetector.Create(new BlazeFaceOptions { IntraOpThreads = threads });
        (string Name, IFaceDetector Detector)[] detectors = [("YuNet (yunet_n, 0.8; the default)", yunetN), ("yunet_s, 0.7", yunetS), ("BlazeFace", blazeFace)];
        IReadOnlyList<LabelledPhoto> photos = LabelledPhotos.Load(Shared, File.Exists(Astronaut) ? Astronaut : null);

        Console.WriteLine($"| photo | size | faces | {string.Join(" | ", detectors.Select(d => $"{d.Name}: found / matched / extra | ms"))} |");
        Console.WriteLine($"|---|---|---:|{string.Concat(detectors.Select(_ => "---:|---:|"))}");
        var totals = detectors.Select(_ => (Found: 0, Matched: 0, Extra: 0, Ms: 0.0)).ToArray();
        int labelled = 0;
        foreach (LabelledPhoto photo in photos)
        {
            using Image<Rgb24> image = ImageFile.Load(photo.Path);
            var cells = new List<string>();
            var times = detectors.Select(_ => new List<double>()).ToArray();
            for (int round = -1; round < rounds; round++)
            {
                for (int d = 0; d < detectors.Length; d++)
                {
                    IFaceDetector detector = detectors[d].Detector;
                    double t = Timing.Seconds(() => detector.Detect(image));
                    if (round >= 0)
                    {
                        times[d].Add(t);
                    }
                }
            }

            for (int d = 0; d < detectors.Length; d++)
            {
                LabelledResult r = LabelledPhotos.Compare(photo, detectors[d].Detector.Detect(image));
                double ms = Timing.Median(times[d]) * 1e3;
                totals[d] = (totals[d].Found + r.Found, totals[d].Matched + r.Matched, totals[d].Extra + r.Extra, totals[d].Ms + ms);
                cells.Add(Inv($"{r.Found} / {r.Matched} / {r.Extra} | {ms:F1}"));
            }

            labelled += photo.Faces;
            Console.WriteLine($"| {photo.Name} | {image.Width} x {image.Height} | {photo.Faces} | {string.Join(" | ", cells)} |");
        }

        Console.WriteLine($"| **all {photos.Count} photos** | | **{labelled}** | {string.Join(" | ", totals.Select(t => Inv($"{t.Found} / **{t.Matched}** / **{t.Extra}** | {t.Ms:F0}")))} |");
        return 0;
    }

    public static int RunScales(IReadOnlyList<string> args)
    {
        int width = int.Parse(args[1], CultureInfo.InvariantCulture), height = int.Parse(args[2], CultureInfo.InvariantCulture);
        int count = int.Parse(args[3], CultureInfo.InvariantCulture);
        int at = args.ToList().IndexOf("--rounds");
        int rounds = at > 0 ? int.Parse(args[at + 1], CultureInfo.InvariantCulture) : 3;
        float[] sizes = [.. args.Skip(4).Take((at > 0 ? at : args.Count) - 4).Select(a => float.Parse(a, CultureInfo.InvariantCulture))];
        int threads = BenchmarkEnvironment.Threads();
        (string Name, YuNetOptions Options)[] settings =
        [
            ("long side 1280", new() { IntraOpThreads = threads, MaxInputSide = 1280, MinInputPixels = int.MaxValue, MaxInputPixels = int.MaxValue, Refines = false }),
            ("2 MP", new() { IntraOpThreads = threads, MinInputPixels = 2_000_000, MaxInputPixels = 2_000_000, Refines = false }),
            ("4 MP", new() { IntraOpThreads = threads, MinInputPixels = 4_000_000, MaxInputPixels = 4_000_000, Refines = false }),
            ("full size", new() { IntraOpThreads = threads, MinInputPixels = int.MaxValue, MaxInputPixels = int.MaxValue }),
            ("a fifth, no second look", new() { IntraOpThreads = threads, Refines = false }),
            ("a fifth + 4 MP where faces are small (default)", new() { IntraOpThreads = threads }),
            ("yunet_n, default", new() { IntraOpThreads = threads, ModelPath = YuNetModel("yunet_n_dynamic.onnx") }),
        ];
        YuNetDetector[] detectors = [.. settings.Select(s => YuNetDetector.Create(s.Options))];
        using var group = new SyntheticGroupPhoto(LabelledPhotos.Load(Shared, null));
        Console.WriteLine(Inv($"Synthetic group photos of {width} x {height} ({width * (double)height / 1e6:F1} MP), {count} faces each, from {group.Distinct} hand-labelled faces"));
        Console.WriteLine($"| face box width | {string.Join(" | ", settings.Select(s => $"{s.Name}: matched / extra | ms"))} |");
        Console.WriteLine($"|---:|{string.Concat(settings.Select(_ => "---:|---:|"))}");
        try
        {
            foreach (float size in sizes)
            {
                (Image<Rgb24> photo, RectangleF[] faces) = group.Create(width, height, count, size);
                using (photo)
                {
                    var cells = new List<string>();
                    foreach (YuNetDetector detector in detectors)
                    {
                        detector.Detect(photo);
                        double ms = Timing.Median(Enumerable.Range(0, rounds).Select(_ => Timing.Seconds(() => detector.Detect(photo)))) * 1e3;
                        LabelledResult r = LabelledPhotos.Compare(faces, [.. detector.Detect(photo).Select(f => f.Box)]);
                        cells.Add(Inv($"{r.Matched} / {r.Extra} | {ms:F0}"));
                    }

                    Console.WriteLine(Inv($"| {size} | {string.Join(" | ", cells)} |"));
                }
            }
        }
        finally
        {
            Array.ForEach(detectors, d => d.Dispose());
        }

        return 0;
    }

    private static string Inv(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
