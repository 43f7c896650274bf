using System.Numerics.Tensors;

namespace SwinFace.Tests.Recognition;

/// <summary>Seeded random embeddings and scores for the recognition tests.</summary>
internal static class RecognitionTestData
{
    public const int Dimension = 512;

    /// <summary>A random direction (not normalised: the gallery must normalise it).</summary>
    public static float[] Embedding(Random random)
    {
        float[] e = new float[Dimension];
        for (int i = 0; i < e.Length; i++)
        {
            e[i] = (random.NextSingle() * 2) - 1;
        }

        return e;
    }

    public static float[] Unit(ReadOnlySpan<float> v)
    {
        float[] u = new float[v.Length];
        TensorPrimitives.Divide(v, TensorPrimitives.Norm(v), u);
        return u;
    }

    /// <summary>A normal sample by the Box-Muller transform.</summary>
    public static double Gaussian(Random random, double mean, double std) =>
        mean + (std * Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble()));
}

/// <summary>A fresh folder under the temp directory, deleted on dispose.</summary>
internal sealed class TempFolder : IDisposable
{
    public TempFolder()
    {
        Path = Directory.CreateTempSubdirectory("swinface-tests-").FullName;
    }

    public string Path { get; }

    public string File(string name) => System.IO.Path.Combine(Path, name);

    public string[] Files() => Directory.GetFiles(Path).Select(System.IO.Path.GetFileName).Order(StringComparer.Ordinal).ToArray()!;

    public void Dispose() => Directory.Delete(Path, recursive: true);
}
