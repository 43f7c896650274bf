using System.Text.Json;
using SwinFace.Inference;

namespace SwinFace.Conversion;

/// <summary>
/// The graphs of the official SwinFace model without their weights, as <c>models/export/structure.py</c>
/// derives them from the Python exporter, embedded in this assembly: the manifest the model file gets,
/// every key, shape and dtype the authors' checkpoint must have, and for every weight initializer of
/// every graph the recipe that makes it from the checkpoint.
/// </summary>
internal sealed class ModelStructure
{
    public const string Format = "swinface-structure";
    public const int FormatVersion = 1;
    private const string ResourcePrefix = "SwinFace.Structures.";

    private static readonly Lazy<ModelStructure> Fp32 = new(() => Load("swin_t-fp32.structure"));
    private static readonly Lazy<ModelStructure> Int8Structure = new(() => Load("swin_t-int8.structure"));

    private ModelStructure(string precision, JsonElement manifest, IReadOnlyList<CheckpointPart> checkpoint, IReadOnlyList<GraphStructure> graphs, CalibrationStructure? calibration)
    {
        Precision = precision;
        Manifest = manifest;
        Checkpoint = checkpoint;
        Graphs = graphs;
        Calibration = calibration;
    }

    /// <summary>Gets the structure of the official fp32 model.</summary>
    public static ModelStructure Float32 => Fp32.Value;

    /// <summary>Gets the structure of the official model in int8, with its calibration graphs.</summary>
    public static ModelStructure Int8 => Int8Structure.Value;

    /// <summary>Gets what an int8 structure measures before its weights can be made, or <see langword="null"/> for fp32.</summary>
    public CalibrationStructure? Calibration { get; }

    public string Precision { get; }

    /// <summary>Gets the model file's manifest, with an empty <c>source</c> and null <c>sha256</c> fields to fill in.</summary>
    public JsonElement Manifest { get; }

    /// <summary>Gets the four state dicts the checkpoint must hold, each with its keys in order.</summary>
    public IReadOnlyList<CheckpointPart> Checkpoint { get; }

    /// <summary>Gets the graphs in the model file's order: the backbone, then the branches.</summary>
    public IReadOnlyList<GraphStructure> Graphs { get; }

    private static ModelStructure Load(string resource)
    {
        using Stream stream = typeof(ModelStructure).Assembly.GetManifestResourceStream(ResourcePrefix + resource)
            ?? throw new InvalidOperationException($"The SwinFace assembly lacks its embedded resource '{ResourcePrefix + resource}'.");
        using RandomAccessBytes bytes = RandomAccessBytes.Wrap(stream);
        StoredZip zip = StoredZip.Read(bytes, resource, "a SwinFace structure file");
        StoredZip.Entry entry = zip.Find("structure.json") ?? throw new SwinFaceModelException($"{resource}: no structure.json.");
        using JsonDocument doc = JsonDocument.Parse(zip.ReadAll(entry, 16 << 20));
        JsonElement root = doc.RootElement;
        if (root.GetProperty("format").GetString() != Format || root.GetProperty("formatVersion").GetInt32() != FormatVersion)
        {
            throw new SwinFaceModelException($"{resource}: expected {Format} version {FormatVersion}.");
        }

        var parts = root.GetProperty("checkpoint").EnumerateObject()
            .Select(p => new CheckpointPart(p.Name, p.Value.EnumerateArray().Select(t => new ExpectedTensor(
                t[0].GetString()!,
                t[1].EnumerateArray().Select(d => d.GetInt64()).ToArray(),
                t[2].GetString()!)).ToArray()))
            .ToArray();

        JsonElement manifest = root.GetProperty("manifest").Clone();
        var graphNames = new List<string> { manifest.GetProperty("backbone").GetProperty("graph").GetString()! };
        graphNames.AddRange(manifest.GetProperty("branches").EnumerateArray().Select(b => b.GetProperty("graph").GetString()!));
        GraphStructure[] graphs = graphNames.Select(name => Graph(zip, resource, name, root.GetProperty("graphs").GetProperty(name))).ToArray();
        CalibrationStructure? calibration = null;
        if (root.TryGetProperty("calibration", out JsonElement c))
        {
            calibration = new CalibrationStructure(
                graphNames.Select(name => Graph(zip, resource, $"calibration/{name}", c.GetProperty("graphs").GetProperty($"calibration/{name}"))).ToArray(),
                c.GetProperty("statistics").EnumerateArray().Select(t => new Statistic(
                    t.GetProperty("id").GetString()!, t.GetProperty("graph").GetString()!, t.GetProperty("min").GetString()!,
                    t.GetProperty("max").GetString()!, t.GetProperty("channels").GetInt32())).ToArray(),
                c.GetProperty("smoothing").EnumerateArray().Select(t => new Smoothing(
                    t.GetProperty("id").GetString()!, t.GetProperty("stat").GetString()!, Recipe.Parse(t.GetProperty("weight")),
                    t.GetProperty("alpha").GetDouble())).ToArray());
        }

        return new ModelStructure(root.GetProperty("precision").GetString()!, manifest, parts, graphs, calibration);
    }

    private static GraphStructure Graph(StoredZip zip, string resource, string name, JsonElement recipes)
    {
        var list = recipes.EnumerateArray().Select(r => (Name: r.GetProperty("name").GetString()!, Recipe: Recipe.Parse(r))).ToArray();
        StoredZip.Entry graph = zip.Find(name) ?? throw new SwinFaceModelException($"{resource}: no graph '{name}'.");
        byte[] stripped = zip.ReadAll(graph, 64 << 20);
        var weights = OnnxWeights.Parse(stripped, list.Select(r => r.Name).ToHashSet(StringComparer.Ordinal), $"{resource}: {name}");
        return new GraphStructure(name, weights, list.ToDictionary(r => r.Name, r => r.Recipe, StringComparer.Ordinal));
    }
}

/// <summary>One state dict of the checkpoint (<c>state_dict_backbone</c>, ...) and the tensors it must hold, in order.</summary>
internal sealed record CheckpointPart(string Name, IReadOnlyList<ExpectedTensor> Tensors);

/// <summary>A key of a state dict, with the shape and dtype (as the key listing names it, such as <c>float32</c>) it must have.</summary>
internal sealed record ExpectedTensor(string Key, long[] Shape, string DType);

/// <summary>One graph of the model file: its stripped bytes and the recipes of its weights, by initializer name.</summary>
internal sealed record GraphStructure(string Name, OnnxWeights Weights, IReadOnlyDictionary<string, Recipe> Recipes);

/// <summary>The fp32 graphs with extra outputs that an int8 conversion runs on real faces, and what they measure.</summary>
internal sealed record CalibrationStructure(IReadOnlyList<GraphStructure> Graphs, IReadOnlyList<Statistic> Statistics, IReadOnlyList<Smoothing> Smoothing);

/// <summary>The per-channel minimum and maximum of one tensor, two outputs of a calibration graph.</summary>
internal sealed record Statistic(string Id, string Graph, string MinOutput, string MaxOutput, int Channels);

/// <summary>A SmoothQuant factor per input channel of a Linear layer fed by a LayerNorm: from its input statistic and its weight.</summary>
internal sealed record Smoothing(string Id, string Stat, Recipe Weight, double Alpha);
