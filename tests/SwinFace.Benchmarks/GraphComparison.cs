using System.Diagnostics;
using System.Globalization;
using Microsoft.ML.OnnxRuntime;

namespace SwinFace.Benchmarks;

/// <summary>
/// <c>--graphs BATCH ROUNDS A.onnx B.onnx ...</c>: times single graphs with one float input (a backbone or a
/// branch) on the same seeded input, in turns, with the analyzer's session settings, and prints each graph's
/// median time per face and the cosine of its outputs to the first graph's. For choosing how to quantize.
/// </summary>
internal static class GraphComparison
{
    public const string Option = "--graphs";

    public static int Run(string[] args)
    {
        int batch = int.Parse(args[1], CultureInfo.InvariantCulture);
        int rounds = int.Parse(args[2], CultureInfo.InvariantCulture);
        string[] graphs = args[3..];
        var sessions = graphs.Select(g =>
        {
            using var options = new SessionOptions { GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL };
            options.AddSessionConfigEntry("session.intra_op.allow_spinning", "1");
            options.AddSessionConfigEntry("session.force_spinning_stop", "1");
            if (Environment.GetEnvironmentVariable("SWINFACE_PROFILE") is { Length: > 0 } prefix)
            {
                options.EnableProfiling = true;
                options.ProfileOutputPathPrefix = prefix + Path.GetFileNameWithoutExtension(g);
            }

            return new InferenceSession(g, options);
        }).ToArray();
        string input = sessions[0].InputMetadata.Keys.Single();
        int[] dims = sessions[0].InputMetadata[input].Dimensions;
        long[] shape = [batch, .. dims.Skip(1).Select(d => (long)d)];
        var random = new Random(7);
        float[] data = new float[shape.Aggregate(1L, (a, b) => a * b)];
        for (int i = 0; i < data.Length; i++)
        {
            data[i] = (float)((random.NextDouble() * 2) - 1);
        }

        var times = graphs.Select(_ => new List<double>()).ToArray();
        float[][]? reference = null;
        var cosines = new double[graphs.Length][];
        for (int r = 0; r < rounds + 1; r++)
        {
            for (int g = 0; g < graphs.Length; g++)
            {
                using OrtValue value = OrtValue.CreateTensorValueFromMemory(data, shape);
                var clock = Stopwatch.StartNew();
                using IDisposableReadOnlyCollection<OrtValue> outputs = sessions[g].Run(new RunOptions(), [input], [value], sessions[g].OutputNames);
                double ms = clock.Elapsed.TotalMilliseconds;
                if (r == 0)
                {
                    float[][] flat = outputs.Select(o => o.GetTensorDataAsSpan<float>().ToArray()).ToArray();
                    reference ??= flat;
                    cosines[g] = flat.Zip(reference, Cosine).ToArray();
                    continue; // the first round warms up
                }

                times[g].Add(ms / batch);
            }
        }

        for (int g = 0; g < graphs.Length; g++)
        {
            double[] t = [.. times[g].Order()];
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{Path.GetFileName(graphs[g]),-32} median {t[t.Length / 2],8:F2} ms/face  (min {t[0]:F2})  cosine to first per output: {string.Join(" ", cosines[g].Select(c => c.ToString("F5", CultureInfo.InvariantCulture)))}"));
            sessions[g].Dispose();
        }

        return 0;
    }

    private static double Cosine(float[] a, float[] b)
    {
        double dot = 0, na = 0, nb = 0;
        for (int i = 0; i < a.Length; i++)
        {
            dot += a[i] * (double)b[i];
            na += a[i] * (double)a[i];
            nb += b[i] * (double)b[i];
        }

        return dot / Math.Sqrt(na * nb);
    }
}
