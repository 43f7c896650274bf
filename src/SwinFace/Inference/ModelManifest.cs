using System.Globalization;
using System.IO.Compression;
using System.Text.Json;
using SwinFace.Analysis;

namespace SwinFace.Inference;

/// <summary>The <c>manifest.json</c> of a SwinFace model file, read and checked.</summary>
/// <remarks>
/// A model file is a ZIP archive written by <c>models/export/export.py</c>: the manifest, the backbone
/// graph and one graph per branch. See <c>models/README.md</c> for the format.
/// </remarks>
internal sealed class ModelManifest
{
    public const string Format = "swinface-model";
    public const int FormatVersion = 1;
    public const string EntryName = "manifest.json";

    private ModelManifest()
    {
    }

    public required string Name { get; init; }

    public required string Version { get; init; }

    public required string Source { get; init; }

    public required string InputName { get; init; }

    public required float[] Mean { get; init; }

    public required float[] Std { get; init; }

    public required string BackboneGraph { get; init; }

    public required string EmbeddingOutput { get; init; }

    public required string FeaturesOutput { get; init; }

    /// <summary>Gets the per-face shape of the backbone's features: channels, height, width.</summary>
    public required int[] FeaturesShape { get; init; }

    public required string[] BranchGraphs { get; init; }

    public required string[] BranchInputs { get; init; }

    /// <summary>Reads and checks the manifest of an opened model archive.</summary>
    /// <exception cref="SwinFaceModelException">The manifest is missing, malformed or describes another model.</exception>
    public static ModelManifest Read(ZipArchive archive, string origin)
    {
        ZipArchiveEntry entry = archive.GetEntry(EntryName)
            ?? throw new SwinFaceModelException($"{origin}: expected a '{EntryName}' entry in the model archive, found entries [{string.Join(", ", archive.Entries.Select(e => e.FullName))}].");
        JsonDocument doc;
        try
        {
            using Stream s = entry.Open();
            doc = JsonDocument.Parse(s);
        }
        catch (JsonException e)
        {
            throw new SwinFaceModelException($"{origin}: '{EntryName}' is not valid JSON ({e.Message}).", e);
        }

        using (doc)
        {
            var r = new Reader(doc.RootElement, origin);
            string format = r.String("format");
            if (format != Format)
            {
                throw r.Error("format", $"\"{Format}\"", $"\"{format}\"");
            }

            int version = r.Int("formatVersion");
            if (version != FormatVersion)
            {
                throw r.Error("formatVersion", FormatVersion.ToString(CultureInfo.InvariantCulture), version.ToString(CultureInfo.InvariantCulture));
            }

            Reader input = r.Object("input");
            int width = input.Int("width"), height = input.Int("height");
            if (width != Imaging.FacePixels.Size || height != Imaging.FacePixels.Size)
            {
                throw input.Error("width x height", "112 x 112", $"{width} x {height}");
            }

            float[] mean = input.Floats("mean", 3);
            float[] std = input.Floats("std", 3);
            if (std.Any(v => !(v > 0)))
            {
                throw input.Error("std", "positive values", string.Join(", ", std));
            }

            Reader backbone = r.Object("backbone");
            Reader embedding = backbone.Object("embedding");
            int embeddingSize = embedding.Int("size");
            if (embeddingSize != ModelHeads.EmbeddingSize)
            {
                throw embedding.Error("size", ModelHeads.EmbeddingSize.ToString(CultureInfo.InvariantCulture), embeddingSize.ToString(CultureInfo.InvariantCulture));
            }

            Reader features = backbone.Object("features");
            int[] featuresShape = features.Ints("shape", 3);
            if (featuresShape.Any(d => d <= 0))
            {
                throw features.Error("shape", "three positive sizes", string.Join(", ", featuresShape));
            }

            Reader[] branches = r.Objects("branches");
            if (branches.Length != ModelHeads.BranchCount)
            {
                throw r.Error("branches", $"{ModelHeads.BranchCount} branches", $"{branches.Length}");
            }

            for (int b = 0; b < branches.Length; b++)
            {
                HeadSpec[] expected = ModelHeads.All.Where(h => h.Branch == b).ToArray();
                Reader[] heads = branches[b].Objects("heads");
                string found = string.Join(", ", heads.Select(h => $"{h.String("output")}[{h.Int("size")}]"));
                string want = string.Join(", ", expected.Select(h => $"{h.Output}[{h.Size}]"));
                if (found != want)
                {
                    throw branches[b].Error("heads", want, found);
                }
            }

            return new ModelManifest
            {
                Name = r.String("name"),
                Version = r.String("version"),
                Source = r.OptionalString("source") ?? "unknown",
                InputName = input.String("name"),
                Mean = mean,
                Std = std,
                BackboneGraph = backbone.String("graph"),
                EmbeddingOutput = embedding.String("output"),
                FeaturesOutput = features.String("output"),
                FeaturesShape = featuresShape,
                BranchGraphs = branches.Select(b => b.String("graph")).ToArray(),
                BranchInputs = branches.Select(b => b.String("input")).ToArray(),
            };
        }
    }

    /// <summary>Typed access to a JSON object that names the path of every missing or mistyped field.</summary>
    private readonly struct Reader(JsonElement element, string origin, string path = "")
    {
        public SwinFaceModelException Error(string field, string expected, string found) =>
            new($"{origin}: manifest field '{path}{field}': expected {expected}, found {found}.");

        public string String(string name) =>
            OptionalString(name) ?? throw Error(name, "a string", Describe(name));

        public string? OptionalString(string name) =>
            element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out JsonElement v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

        public int Int(string name) =>
            Get(name) is { ValueKind: JsonValueKind.Number } v && v.TryGetInt32(out int i) ? i : throw Error(name, "an integer", Describe(name));

        public Reader Object(string name) =>
            Get(name) is { ValueKind: JsonValueKind.Object } v ? new Reader(v, origin, $"{path}{name}.") : throw Error(name, "an object", Describe(name));

        public Reader[] Objects(string name)
        {
            if (Get(name) is not { ValueKind: JsonValueKind.Array } v)
            {
                throw Error(name, "an array", Describe(name));
            }

            var list = new List<Reader>();
            foreach (JsonElement item in v.EnumerateArray())
            {
                if (item.ValueKind != JsonValueKind.Object)
                {
                    throw Error(name, "an array of objects", item.ValueKind.ToString());
                }

                list.Add(new Reader(item, origin, $"{path}{name}[{list.Count}]."));
            }

            return [.. list];
        }

        public float[] Floats(string name, int count) => Numbers(name, count, e => e.TryGetSingle(out float f) ? f : float.NaN);

        public int[] Ints(string name, int count) => Numbers(name, count, e => e.TryGetInt32(out int i) ? i : -1);

        private T[] Numbers<T>(string name, int count, Func<JsonElement, T> read)
        {
            if (Get(name) is not { ValueKind: JsonValueKind.Array } v || v.GetArrayLength() != count || v.EnumerateArray().Any(e => e.ValueKind != JsonValueKind.Number))
            {
                throw Error(name, $"an array of {count} numbers", Describe(name));
            }

            return v.EnumerateArray().Select(read).ToArray();
        }

        private JsonElement? Get(string name) =>
            element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out JsonElement v) ? v : null;

        private string Describe(string name) => Get(name) is { } v ? v.GetRawText() : "nothing";
    }
}
