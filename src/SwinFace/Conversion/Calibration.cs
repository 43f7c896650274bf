using Microsoft.ML.OnnxRuntime;
using SwinFace.Imaging;
using SwinFace.Inference;

namespace SwinFace.Conversion;

/// <summary>What an int8 conversion measured: the range of every quantized tensor, and the smoothing factors made from them.</summary>
/// <param name="Statistics">Per statistic id, the per-channel minimum and maximum over every calibration face and token.</param>
/// <param name="Smoothing">Per smoothing id, one factor per input channel of its Linear layer.</param>
/// <param name="Faces">How many faces were measured.</param>
internal sealed record CalibrationResult(IReadOnlyDictionary<string, (float[] Min, float[] Max)> Statistics, IReadOnlyDictionary<string, float[]> Smoothing, int Faces);

/// <summary>
/// Runs the fp32 calibration graphs (the model with extra outputs: each quantized tensor's per-channel
/// minimum and maximum) on real aligned faces, and derives the SmoothQuant factors.
/// </summary>
internal static class Calibrator
{
    private const int Chunk = 4;

    /// <summary>Measures the ranges on <paramref name="faces"/> (112 x 112 RGB, 3 bytes a pixel).</summary>
    /// <exception cref="ArgumentException">No faces.</exception>
    public static CalibrationResult Run(CheckpointConversion fp32, CalibrationStructure calibration, IReadOnlyList<byte[]> faces)
    {
        if (faces.Count == 0)
        {
            throw new ArgumentException("Calibration needs at least one face.", nameof(faces));
        }

        ModelManifest manifest = fp32.Manifest;
        float[][] tables = FacePixels.NormalizationTables(manifest.Mean, manifest.Std);
        const int pixels = 3 * FacePixels.Size * FacePixels.Size;
        float[] input = new float[faces.Count * pixels];
        for (int i = 0; i < faces.Count; i++)
        {
            FacePixels.ToPlanar(faces[i], tables, input.AsSpan(i * pixels, pixels));
        }

        var stats = new Dictionary<string, (float[] Min, float[] Max)>(StringComparer.Ordinal);
        int[] fs = manifest.FeaturesShape;
        int perFace = fs[0] * fs[1] * fs[2];
        float[] features = new float[faces.Count * perFace];
        using var options = new SessionOptions { GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL };
        for (int g = 0; g < calibration.Graphs.Count; g++)
        {
            GraphStructure graph = calibration.Graphs[g];
            Statistic[] mine = calibration.Statistics.Where(s => s.Graph == graph.Name).ToArray();
            using InferenceSession session = Session(fp32.Weights, graph, options);
            bool backbone = g == 0;
            string inputName = backbone ? manifest.InputName : manifest.BranchInputs[g - 1];
            string[] outputs = [.. (backbone ? [manifest.FeaturesOutput] : Array.Empty<string>()), .. mine.SelectMany(s => (string[])[s.MinOutput, s.MaxOutput])];
            for (int start = 0; start < faces.Count; start += Chunk)
            {
                int n = Math.Min(Chunk, faces.Count - start);
                using OrtValue value = backbone
                    ? OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, input.AsMemory(start * pixels, n * pixels), [n, 3, FacePixels.Size, FacePixels.Size])
                    : OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, features.AsMemory(start * perFace, n * perFace), [n, fs[0], fs[1], fs[2]]);
                using var run = new RunOptions();
                using IDisposableReadOnlyCollection<OrtValue> results = session.Run(run, [inputName], [value], outputs);
                int o = 0;
                if (backbone)
                {
                    results[o++].GetTensorDataAsSpan<float>().CopyTo(features.AsSpan(start * perFace, n * perFace));
                }

                foreach (Statistic s in mine)
                {
                    Merge(stats, s, results[o].GetTensorDataAsSpan<float>(), results[o + 1].GetTensorDataAsSpan<float>());
                    o += 2;
                }
            }
        }

        var smoothing = new Dictionary<string, float[]>(StringComparer.Ordinal);
        foreach (Smoothing group in calibration.Smoothing)
        {
            smoothing[group.Id] = Factors(fp32.Weights, group, stats[group.Stat]);
        }

        return new CalibrationResult(stats, smoothing, faces.Count);
    }

    /// <summary>
    /// SmoothQuant's factors, s_j = max|x_j|^alpha / max|w_j|^(1 - alpha) per input channel j, clamped to
    /// [1e-4, 1e4]; 1 where a channel is all zeros.
    /// </summary>
    private static float[] Factors(WeightMaker maker, Smoothing group, (float[] Min, float[] Max) range)
    {
        long[] dims = maker.Dims(group.Weight);
        float[] w = maker.Floats(group.Weight);
        int rows = (int)dims[0], cols = (int)dims[1];
        if (range.Min.Length != rows)
        {
            throw new SwinFaceModelException($"{maker.Origin}: smoothing '{group.Id}' has {range.Min.Length} input statistics for a weight of {rows} rows.");
        }

        var s = new float[rows];
        for (int j = 0; j < rows; j++)
        {
            double x = Math.Max(Math.Abs(range.Min[j]), Math.Abs(range.Max[j]));
            double m = 0;
            for (int c = 0; c < cols; c++)
            {
                m = Math.Max(m, Math.Abs(w[(j * cols) + c]));
            }

            s[j] = x > 0 && m > 0 ? (float)Math.Clamp(Math.Pow(x, group.Alpha) / Math.Pow(m, 1 - group.Alpha), 1e-4, 1e4) : 1f;
        }

        return s;
    }

    private static void Merge(Dictionary<string, (float[] Min, float[] Max)> stats, Statistic s, ReadOnlySpan<float> min, ReadOnlySpan<float> max)
    {
        if (min.Length != s.Channels || max.Length != s.Channels)
        {
            throw new SwinFaceModelException($"calibration statistic '{s.Id}': expected {s.Channels} channels, found {min.Length}.");
        }

        if (!stats.TryGetValue(s.Id, out var known))
        {
            stats[s.Id] = (min.ToArray(), max.ToArray());
            return;
        }

        for (int i = 0; i < s.Channels; i++)
        {
            known.Min[i] = Math.Min(known.Min[i], min[i]);
            known.Max[i] = Math.Max(known.Max[i], max[i]);
        }
    }

    private static InferenceSession Session(WeightMaker maker, GraphStructure graph, SessionOptions options)
    {
        string temp = Path.Combine(Path.GetTempPath(), $"swinface-calibration-{Guid.NewGuid():N}.onnx");
        try
        {
            using (var file = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 20))
            {
                graph.Weights.Write(file, (slot, data) => maker.Fill(slot, graph.Recipes[slot.Name], data));
            }

            return new InferenceSession(temp, options);
        }
        finally
        {
            File.Delete(temp);
        }
    }
}
