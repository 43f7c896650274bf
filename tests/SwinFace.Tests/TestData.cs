using System.Text.Json;

namespace SwinFace.Tests;

/// <summary>Paths of the repository's test data, found from the test assembly's folder.</summary>
internal static class TestData
{
    public static readonly string RepoRoot = FindRoot();

    public static string TinyModel => Path.Combine(RepoRoot, "models", "testdata", "swinface-tiny.swinface");

    public static string TinyGolden => Path.Combine(RepoRoot, "models", "testdata", "golden-tiny");

    /// <summary>A small checkpoint of <c>models/testdata/checkpoints/</c>, written by <c>checkpoint_fixtures.py</c>.</summary>
    public static string Checkpoint(string name) => Path.Combine(RepoRoot, "models", "testdata", "checkpoints", name);

    /// <summary>The folder of the full-size seeded checkpoint and its exports, or <see langword="null"/> when <c>SWINFACE_FULL_DIR</c> is not set.</summary>
    public static string? FullDir => Environment.GetEnvironmentVariable("SWINFACE_FULL_DIR") is { Length: > 0 } d ? d : null;

    /// <summary>The shared real photos (faces counted in their README).</summary>
    public static string SharedPhoto(string name) => Path.Combine(RepoRoot, "..", "shared", "testdata", "photos", name);

    /// <summary>The shared folder beside the repository (<c>../shared</c>).</summary>
    public static string Shared => Path.GetFullPath(Path.Combine(RepoRoot, "..", "shared"));

    /// <summary>A labelled photo of <c>../shared/testdata/labelled/</c>: <c>dlib</c> or <c>public-domain</c>, and its name.</summary>
    public static string Labelled(string folder, string name) => Path.Combine(Shared, "testdata", "labelled", folder, name);

    /// <summary>astronaut.png, fetched by <c>models/fetch-testimages.sh</c> (which test.sh runs).</summary>
    public static string Astronaut => Path.Combine(RepoRoot, "models", "testimages", "astronaut.png");

    public static string TestImage(string name) => Path.Combine(AppContext.BaseDirectory, "TestImages", name);

    /// <summary>
    /// Golden sets to check: the committed tiny model always, and the full-size model that
    /// <c>models/make-full-parity.sh</c> writes when <c>SWINFACE_FULL_DIR</c> names its folder (CI sets it).
    /// </summary>
    public static IReadOnlyList<GoldenSet> GoldenSets()
    {
        var sets = new List<GoldenSet> { GoldenSet.Load("tiny", TinyModel, TinyGolden) };
        string? full = Environment.GetEnvironmentVariable("SWINFACE_FULL_DIR");
        if (!string.IsNullOrEmpty(full))
        {
            sets.Add(GoldenSet.Load("full", Path.Combine(full, "swinface-full.swinface"), Path.Combine(full, "golden")));
        }

        return sets;
    }

    private static string FindRoot()
    {
        for (string? dir = AppContext.BaseDirectory; dir is not null; dir = Path.GetDirectoryName(dir))
        {
            if (File.Exists(Path.Combine(dir, "SwinFace.sln")))
            {
                return dir;
            }
        }

        throw new InvalidOperationException("SwinFace.sln not found above " + AppContext.BaseDirectory);
    }
}

/// <summary>One face of golden.json: its image and the PyTorch outputs for it.</summary>
internal sealed record GoldenFace(string Image, string? Resized, string? Decoded, int Width, int Height, float[] Embedding, Dictionary<string, float[]> Logits);

/// <summary>A model file with the golden PyTorch outputs of its checkpoint.</summary>
internal sealed record GoldenSet(string Name, string ModelPath, string Directory, IReadOnlyList<GoldenFace> Faces)
{
    public static GoldenSet Load(string name, string modelPath, string directory)
    {
        if (!File.Exists(modelPath))
        {
            throw new FileNotFoundException($"Golden set '{name}': model not found", modelPath);
        }

        using JsonDocument doc = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(directory, "golden.json")));
        var faces = new List<GoldenFace>();
        foreach (JsonElement f in doc.RootElement.GetProperty("faces").EnumerateArray())
        {
            var logits = new Dictionary<string, float[]>();
            foreach (JsonProperty p in f.GetProperty("logits").EnumerateObject())
            {
                logits[p.Name] = Floats(p.Value);
            }

            faces.Add(new GoldenFace(
                f.GetProperty("image").GetString()!,
                f.TryGetProperty("resized", out JsonElement r) ? r.GetString() : null,
                f.TryGetProperty("decoded", out JsonElement d) ? d.GetString() : null,
                f.GetProperty("width").GetInt32(),
                f.GetProperty("height").GetInt32(),
                Floats(f.GetProperty("embedding")),
                logits));
        }

        return new GoldenSet(name, modelPath, directory, faces);
    }

    public string PathOf(string file) => System.IO.Path.Combine(Directory, file);

    private static float[] Floats(JsonElement a) => a.EnumerateArray().Select(e => (float)e.GetDouble()).ToArray();
}
