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

    private ModelStructure(string precision, JsonElement manifest, IReadOnlyList<CheckpointPart> checkpoint, IReadOnlyList<GraphStructure> graphs)
    {
        Precision = precision;
        Manifest = manifest;
        Checkpoint = checkpoint;
        Graphs = graphs;
    }

    /// <summary>Gets the structure of the official fp32 model.</summary>
    public static ModelStructure Float32 => Fp32.Value;

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
        JsonElement recipes = root.GetProperty("graphs");
        var graphs = graphNames.Select(name =>
        {
            Recipe[] list = recipes.GetProperty(name).EnumerateArray().Select(r => new Recipe(
                r.GetProperty("name").GetString()!,
                r.GetProperty("op").GetString()!,
                r.GetProperty("part").GetString()!,
                r.GetProperty("key").GetString()!,
                r.TryGetProperty("index", out JsonElement index) ? index.GetString() : null,
                r.TryGetProperty("mask", out JsonElement mask) ? mask.GetString() : null)).ToArray();
            StoredZip.Entry graph = zip.Find(name) ?? throw new SwinFaceModelException($"{resource}: no graph '{name}'.");
            byte[] stripped = zip.ReadAll(graph, 64 << 20);
            var weights = OnnxWeights.Parse(stripped, list.Select(r => r.Initializer).ToHashSet(StringComparer.Ordinal), $"{resource}: {name}");
            return new GraphStructure(name, weights, list.ToDictionary(r => r.Initializer, StringComparer.Ordinal));
        }).ToArray();

        return new ModelStructure(root.GetProperty("precision").GetString()!, manifest, parts, graphs);
    }
}

/// <summary>One state dict of the checkpoint (<c>state_dict_backbone</c>, ...) and the tensors it must hold, in order.</summary>
internal sealed record CheckpointPart(string Name, IReadOnlyList<ExpectedTensor> Tensors);

/// <summary>A key of a state dict, with the shape and dtype (as the key listing names it, such as <c>float32</c>) it must have.</summary>
internal sealed record ExpectedTensor(string Key, long[] Shape, string DType);

/// <summary>
/// How one initializer is made from the checkpoint: <c>copy</c> a tensor, <c>transpose</c> a 2-D tensor, or
/// <c>relative_position_bias</c>, a Swin block's bias table gathered by its index, plus its shift mask if it has one.
/// </summary>
internal sealed record Recipe(string Initializer, string Op, string Part, string Key, string? Index, string? Mask);

/// <summary>One graph of the model file: its stripped bytes and the recipes of its weights.</summary>
internal sealed record GraphStructure(string Name, OnnxWeights Weights, IReadOnlyDictionary<string, Recipe> Recipes);
