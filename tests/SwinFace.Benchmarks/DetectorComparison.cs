using System.Globalization;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using SwinFace.Detection;
using SwinFace.Imaging;
using SwinFace.Tests.Detection;

namespace SwinFace.Benchmarks;

/// <summary>
/// <c>--detectors [ROUNDS]</c>: YuNet (yunet_n, the default, and yunet_s) and BlazeFace on every labelled photo
/// of <c>../shared/testdata/</c> and the fidelity photos counted here, side by side: faces found, labelled faces
/// matched (IoU 0.5 with the hand-drawn boxes, or the count where a photo has only a count), extra detections, and
/// the median time of a detection.
/// <c>--detector-scales WIDTH HEIGHT COUNT SIZE... [--rounds N]</c>: the working resolutions compared on synthetic
/// group photos of WIDTH x HEIGHT with COUNT hand-labelled faces of each box width SIZE, with the CPU time of a
/// detection (both cores together).
/// <c>--detector-thresholds</c>: both YuNet models at score thresholds from 0.5 to 0.9: labelled faces matched,
/// extra detections, the dogs, the counted photos, and synthetic 10 MP group photos with faces of 32 to 64 px.
/// </summary>
/// <remarks>
/// Each round times every detector once on a photo, in turn, after one warm-up run, so that all see the same
/// moments of a noisy machine.
/// </remarks>
internal static class DetectorComparison
{
    public const string Option = "--detectors";
    public const string ScalesOption = "--detector-scales";
    public const string ThresholdsOption = "--detector-thresholds";

    private static string Shared => Path.GetFullPath(Path.Combine(BenchmarkEnvironment.RepositoryRoot, "..", "shared"));

    private static string YuNetModel(string name) => Path.Combine(BenchmarkEnvironment.RepositoryRoot, "models", "yunet", name);

    private static string Fidelity => Path.Combine(BenchmarkEnvironment.RepositoryRoot, "models", "fidelity");

    private static string Astronaut => Path.Combine(BenchmarkEnvironment.RepositoryRoot, "models", "testimages", "astronaut.png");

    public static int Run(IReadOnlyList<string> args)
    {
        int rounds = args.Count > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 7;
        int threads = BenchmarkEnvironment.Threads();
        using var yunetN = YuNetDetector.Create(new YuNetOptions { IntraOpThreads = threads });
        using var yunetS = YuNetDetector.Create(new YuNetOptions { IntraOpThreads = threads, ModelPath = YuNetModel("yunet_s_dynamic.onnx"), ScoreThreshold = 0.7f });
        using var blazeFace = BlazeFaceDetector.Create(new BlazeFaceOptions { IntraOpThreads = threads });
        (string Name, IFaceDetector Detector)[] detectors = [("YuNet (yunet_n, 0.8; the default)", yunetN), ("yunet_s, 0.7", yunetS), ("BlazeFace", blazeFace)];
        IReadOnlyList<LabelledPhoto> photos = [.. LabelledPhotos.Load(Shared, File.Exists(Astronaut) ? Astronaut : null), .. LabelledPhotos.Counted(Fidelity)];

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
            ("a fifth + up to 4 MP where faces are small (default)", new() { IntraOpThreads = threads }),
            ("yunet_s, 0.7, default passes", new() { IntraOpThreads = threads, ModelPath = YuNetModel("yunet_s_dynamic.onnx"), ScoreThreshold = 0.7f }),
        ];
        YuNetDetector[] detectors = [.. settings.Select(s => YuNetDetector.Create(s.Options))];
        using var group = new SyntheticGroupPhoto(LabelledPhotos.Load(Shared, null));
        Console.WriteLine(Inv($"Synthetic group photos of {width} x {height} ({width * (double)height / 1e6:F1} MP), {count} faces each, from {group.Distinct} hand-labelled faces"));
        Console.WriteLine($"| face box width | {string.Join(" | ", settings.Select(s => $"{s.Name}: matched / extra | CPU ms"))} |");
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

                        // CPU time of the process: on a busy machine it varies far less than wall time.
                        double ms = Timing.Median(Enumerable.Range(0, rounds).Select(_ => Timing.WallAndCpu(() => detector.Detect(photo)).Cpu)) * 1e3;
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

    public static int RunThresholds()
    {
        float[] thresholds = [0.5f, 0.6f, 0.65f, 0.7f, 0.75f, 0.8f, 0.85f, 0.9f];
        IReadOnlyList<LabelledPhoto> labelled = LabelledPhotos.Load(Shared, File.Exists(Astronaut) ? Astronaut : null);
        using var group = new SyntheticGroupPhoto(labelled);
        float[] sizes = [32f, 40f, 48f, 64f];
        var synthetic = sizes.Select(size => group.Create(4844, 2022, 31, size)).ToList();
        try
        {
            Console.WriteLine($"| model | measure | {string.Join(" | ", thresholds.Select(t => Inv($"{t:F2}")))} |");
            Console.WriteLine($"|---|---|{string.Concat(thresholds.Select(_ => "---:|"))}");
            foreach (string model in (string[])["yunet_n_dynamic.onnx", "yunet_s_dynamic.onnx"])
            {
                // Suppression keeps the stronger of two boxes, so detections at 0.3 filtered by score equal detections at that score.
                using var detector = YuNetDetector.Create(new YuNetOptions { ScoreThreshold = 0.3f, ModelPath = YuNetModel(model) });
                var rows = new Dictionary<string, int[]>();
                void Add(string key, int i, int value)
                {
                    if (!rows.TryGetValue(key, out int[]? row))
                    {
                        rows[key] = row = new int[thresholds.Length];
                    }

                    row[i] += value;
                }

                foreach (LabelledPhoto photo in labelled)
                {
                    using Image<Rgb24> image = ImageFile.Load(photo.Path);
                    IReadOnlyList<FaceDetection> found = detector.Detect(image);
                    for (int i = 0; i < thresholds.Length; i++)
                    {
                        List<FaceDetection> kept = [.. found.Where(f => f.Score >= thresholds[i])];
                        LabelledResult r = LabelledPhotos.Compare(photo, kept);
                        Add($"labelled photos: faces matched (of {labelled.Sum(p => p.Faces)})", i, r.Matched);
                        Add(photo.Name == "dogs.jpg" ? "dogs.jpg: detections" : "labelled photos: extra detections, dogs aside", i, r.Extra);
                    }
                }

                foreach (LabelledPhoto photo in LabelledPhotos.Counted(Fidelity))
                {
                    using Image<Rgb24> image = ImageFile.Load(photo.Path);
                    IReadOnlyList<FaceDetection> found = detector.Detect(image);
                    for (int i = 0; i < thresholds.Length; i++)
                    {
                        LabelledResult r = LabelledPhotos.Compare(photo, [.. found.Where(f => f.Score >= thresholds[i])]);
                        Add("counted group photos: faces found (of 22)", i, r.Matched);
                        Add("counted group photos: extra detections", i, r.Extra);
                    }
                }

                for (int k = 0; k < sizes.Length; k++)
                {
                    IReadOnlyList<FaceDetection> found = detector.Detect(synthetic[k].Photo);
                    for (int i = 0; i < thresholds.Length; i++)
                    {
                        LabelledResult r = LabelledPhotos.Compare(synthetic[k].Faces, [.. found.Where(f => f.Score >= thresholds[i]).Select(f => f.Box)]);
                        Add(Inv($"synthetic 10 MP, 31 faces of {sizes[k]} px: found"), i, r.Matched);
                        Add("synthetic 10 MP: extra detections", i, r.Extra);
                    }
                }

                foreach (KeyValuePair<string, int[]> row in rows)
                {
                    Console.WriteLine($"| {model.Replace("_dynamic.onnx", string.Empty, StringComparison.Ordinal)} | {row.Key} | {string.Join(" | ", row.Value)} |");
                }
            }
        }
        finally
        {
            synthetic.ForEach(s => s.Photo.Dispose());
        }

        return 0;
    }

    private static string Inv(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
