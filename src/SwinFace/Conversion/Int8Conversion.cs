using System.Text.Json;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing;
using SwinFace.Analysis;
using SwinFace.Imaging;
using SwinFace.Recognition;

namespace SwinFace.Conversion;

/// <summary>
/// Makes the int8 model of a checkpoint, and measures it against the fp32 model on the user's own weights:
/// <list type="number">
/// <item>the fp32 model finds (with BlazeFace), aligns and analyses the faces of the fidelity photos;</item>
/// <item>the calibration graphs measure every quantized tensor's range on the same faces mirrored, so the
/// scales are not fitted to the very images they are judged on;</item>
/// <item>the int8 model analyses the aligned faces, and its results are compared with fp32's.</item>
/// </list>
/// Only one model is in memory at a time.
/// </summary>
internal static class Int8Conversion
{
    /// <summary>What the manifest records of the scheme.</summary>
    public const string Scheme =
        "static int8: u8 activations per tensor (calibrated), s8 weights per output channel (symmetric); " +
        "Linear layers fed by a LayerNorm smoothed per channel (SmoothQuant, alpha 0.5); branch convolutions as QLinearConv; " +
        "attention products, Softmax, LayerNorm, GELU, the patch embedding, the identity head and the task subnets in fp32";

    /// <summary>Converts, measures and returns the int8 conversion that records its fidelity, or throws when it misses the bars.</summary>
    /// <exception cref="SwinFaceModelException">No face is found in the photos, or the fidelity misses a bar and <see cref="ConversionOptions.Force"/> is off.</exception>
    public static (CheckpointConversion Conversion, QuantizationFidelity Fidelity) Run(CheckpointConversion fp32, ConversionOptions options)
    {
        IReadOnlyList<string> photos = options.FidelityPhotos ?? DefaultPhotos();
        ModelStructure int8 = ModelStructure.Int8;
        (List<byte[]> crops, List<FaceAnalysis> reference) = Reference(fp32, photos);
        CalibrationResult calibration = Calibrator.Run(fp32, int8.Calibration!, crops.Select(Mirror).ToArray());
        if (options.RangeFactor != 1)
        {
            calibration = Shrink(calibration, options.RangeFactor);
        }

        if (options.NoSmoothing)
        {
            calibration = calibration with { Smoothing = calibration.Smoothing.ToDictionary(kv => kv.Key, kv => kv.Value.Select(_ => 1f).ToArray(), StringComparer.Ordinal) };
        }

        CheckpointConversion trial = fp32.With(int8, calibration, null);
        QuantizationFidelity fidelity = Compare(trial, crops, reference);
        if (!fidelity.MeetsTheBars && !options.Force)
        {
            throw new SwinFaceModelException(
                $"{fp32.Origin}: the int8 model is not faithful enough to the fp32 model, so it was not written ({string.Join("; ", fidelity.Shortfalls)}). " +
                $"Measured: {fidelity}. Convert to fp32, or pass --force (ConversionOptions.Force) to write it anyway.");
        }

        string[] names = photos.Select(Path.GetFileName).ToArray()!;
        return (fp32.With(int8, calibration, writer => WriteQuantization(writer, calibration, names, fidelity, options.Force && !fidelity.MeetsTheBars)), fidelity);
    }

    /// <summary>The photos that travel with the library (<c>swinface-fidelity/</c> next to the application).</summary>
    /// <exception cref="FileNotFoundException">The folder is missing or holds no photo.</exception>
    public static IReadOnlyList<string> DefaultPhotos()
    {
        string dir = Path.Combine(AppContext.BaseDirectory, "swinface-fidelity");
        string[] files = Directory.Exists(dir)
            ? Directory.GetFiles(dir).Where(f => f.EndsWith(".jpg", StringComparison.OrdinalIgnoreCase) || f.EndsWith(".png", StringComparison.OrdinalIgnoreCase)).Order(StringComparer.Ordinal).ToArray()
            : [];
        return files.Length > 0
            ? files
            : throw new FileNotFoundException($"The fidelity photos that an int8 conversion is measured on are missing from {dir}; the SwinFace package puts them there (models/fetch-fidelity-photos.sh in the repository). Pass photos of your own instead.", dir);
    }

    private static (List<byte[]> Crops, List<FaceAnalysis> Reference) Reference(CheckpointConversion fp32, IReadOnlyList<string> photos)
    {
        var crops = new List<byte[]>();
        var reference = new List<FaceAnalysis>();
        // The fidelity set is the faces BlazeFace finds and aligns in these photos, as when the bars and the recorded
        // figures were set (BENCHMARKS.md, Int8), so that figures stay comparable across versions. With YuNet, the
        // default detector now, the seeded test model's expression agreement is 21 of 23 faces (91.3%), under the
        // bar: its expression head is near uniform, and two faces whose top two probabilities differ by 0.001 and
        // 0.0006 flip. Whether the set should move to YuNet's five-point crops is the int8 feature's decision.
        using FaceAnalyzer analyzer = FaceAnalyzer.Create(fp32, new FaceAnalyzerOptions { BlazeFace = new Detection.BlazeFaceOptions() });
        foreach (string photo in photos)
        {
            foreach (PhotoFace face in analyzer.AnalyzePhoto(photo, FaceTasks.All, includeAlignedFaces: true).Faces)
            {
                crops.Add(face.AlignedFace!);
                reference.Add(face.Analysis);
            }
        }

        return crops.Count > 0
            ? (crops, reference)
            : throw new SwinFaceModelException($"No face was found in the {photos.Count} fidelity photos, so the int8 model cannot be measured; pass photos with faces.");
    }

    private static QuantizationFidelity Compare(CheckpointConversion int8, List<byte[]> crops, List<FaceAnalysis> reference)
    {
        byte[] all = crops.SelectMany(c => c).ToArray();
        IReadOnlyList<FaceAnalysis> results;
        using (FaceAnalyzer analyzer = FaceAnalyzer.Create(int8, null))
        {
            results = analyzer.AnalyzeBatch(all, crops.Count);
        }

        var cosines = new List<double>();
        var ages = new List<double>();
        int expressions = 0, attributes = 0, decisions = 0;
        for (int i = 0; i < crops.Count; i++)
        {
            FaceAnalysis a = results[i], b = reference[i];
            cosines.Add(FaceSimilarity.Cosine(a.Embedding!, b.Embedding!));
            ages.Add(Math.Abs(a.Age!.Value - b.Age!.Value));
            expressions += a.Expression!.Label == b.Expression!.Label ? 1 : 0;
            for (int k = 0; k < a.Attributes!.Count; k++)
            {
                attributes += a.Attributes[k].IsPresent == b.Attributes![k].IsPresent ? 1 : 0;
                decisions++;
            }
        }

        return new QuantizationFidelity(
            crops.Count, cosines.Min(), Median(cosines), (double)expressions / crops.Count, Median(ages), ages.Max(), (double)attributes / decisions);
    }

    private static double Median(List<double> values)
    {
        double[] sorted = [.. values.Order()];
        int n = sorted.Length;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[(n / 2) - 1] + sorted[n / 2]) / 2;
    }

    private static byte[] Mirror(byte[] rgb)
    {
        using Image<Rgb24> image = Image.LoadPixelData<Rgb24>(rgb, FacePixels.Size, FacePixels.Size);
        image.Mutate(x => x.Flip(FlipMode.Horizontal));
        byte[] flipped = new byte[rgb.Length];
        image.CopyPixelDataTo(flipped);
        return flipped;
    }

    /// <summary>A deliberately broken calibration, for tests: every range scaled by <paramref name="factor"/>, so activations clip.</summary>
    private static CalibrationResult Shrink(CalibrationResult c, float factor) => c with
    {
        Statistics = c.Statistics.ToDictionary(kv => kv.Key, kv => (kv.Value.Min.Select(v => v * factor).ToArray(), kv.Value.Max.Select(v => v * factor).ToArray()), StringComparer.Ordinal),
    };

    private static void WriteQuantization(Utf8JsonWriter w, CalibrationResult calibration, string[] photos, QuantizationFidelity f, bool forced)
    {
        w.WriteStartObject();
        w.WriteString("scheme", Scheme);
        w.WriteStartObject("calibration");
        w.WriteNumber("faces", calibration.Faces);
        w.WriteString("faceSource", "the fidelity photos' faces, mirrored");
        w.WriteEndObject();
        w.WriteStartObject("fidelity");
        w.WriteStartArray("photos");
        foreach (string p in photos)
        {
            w.WriteStringValue(p);
        }

        w.WriteEndArray();
        w.WriteNumber("faces", f.Faces);
        w.WriteNumber("embeddingCosineMin", f.EmbeddingCosineMin);
        w.WriteNumber("embeddingCosineMedian", f.EmbeddingCosineMedian);
        w.WriteNumber("expressionAgreement", f.ExpressionAgreement);
        w.WriteNumber("ageDifferenceMedian", f.AgeDifferenceMedian);
        w.WriteNumber("ageDifferenceMax", f.AgeDifferenceMax);
        w.WriteNumber("attributeAgreement", f.AttributeAgreement);
        w.WriteBoolean("meetsTheBars", f.MeetsTheBars);
        w.WriteBoolean("forced", forced);
        w.WriteEndObject();
        w.WriteEndObject();
    }
}
