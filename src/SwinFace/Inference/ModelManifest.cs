using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;
using SwinFace.Analysis;

namespace SwinFace.Inference;

/// <summary>The <c>manifest.json</c> of a SwinFace model file, read and checked.</summary>
/// <remarks>
/// A model file is a ZIP archive written by the converter or by <c>models/export/export.py</c>: the
/// backbone graph, one graph per branch, and the manifest, which records every graph's SHA-256. See
/// <c>models/README.md</c> for the format.
/// </remarks>
internal sealed class ModelManifest
{
    public const string Format = "swinface-model";
    public const int FormatVersion = 2;
    public const string EntryName = "manifest.json";

    /// <summary>The precisions a model file may have.</summary>
    public static readonly IReadOnlyList<string> Precisions = ["fp32", "int8"];

    private ModelManifest()
    {
    }

    public required string Name { get; init; }

    public required string Version { get; init; }

    public required string Source { get; init; }

    /// <summary>Gets the numeric precision of the graphs' weights, such as <c>fp32</c>.</summary>
    public required string Precision { get; init; }

    /// <summary>Gets an int8 model's fidelity to fp32 as measured at conversion, or <see langword="null"/>.</summary>
    public required Conversion.QuantizationFidelity? Fidelity { get; init; }

    /// <summary>Gets every graph's SHA-256 in lower-case hex, or <see langword="null"/> for graphs that are converted, not read.</summary>
    public required IReadOnlyDictionary<string, string>? GraphDigests { get; init; }

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

    /// <summary>Gets the graphs a model runs, in the order their sessions are created: the backbone, then each branch's (a graph may serve several).</summary>
    public IEnumerable<string> Graphs => [BackboneGraph, .. BranchGraphs];

    /// <summary>Reads and checks a manifest.</summary>
    /// <param name="json">The manifest's bytes.</param>
    /// <param name="origin">The model's name in messages.</param>
    /// <param name="requireDigests">Whether every graph must have its SHA-256, as in a model file.</param>
    /// <exception cref="SwinFaceModelException">The manifest is malformed or describes another model.</exception>
    public static ModelManifest Read(byte[] json, string origin, bool requireDigests)
    {
        // The JSON reader accepts any bytes inside quotes, and turning them into a string would throw
        // InvalidOperationException: the manifest's text is checked once, before it is parsed.
        if (System.Text.Unicode.Utf8.ToUtf16(json, new char[json.Length], out int valid, out _, replaceInvalidSequences: false) != System.Buffers.OperationStatus.Done)
        {
            throw new SwinFaceModelException($"{origin}: '{EntryName}' is not valid UTF-8 (at byte {valid}).");
        }

        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(json, new JsonDocumentOptions { MaxDepth = 16 });
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
            if (version == 1)
            {
                throw new SwinFaceModelException($"{origin}: a model file of format 1, written before model files recorded their graphs' SHA-256. Convert the checkpoint again (swinface convert).");
            }

            if (version != FormatVersion)
            {
                throw r.Error("formatVersion", FormatVersion.ToString(CultureInfo.InvariantCulture), version.ToString(CultureInfo.InvariantCulture));
            }

            string precision = r.String("precision");
            if (!Precisions.Contains(precision))
            {
                throw r.Error("precision", string.Join(" or ", Precisions.Select(p => $"\"{p}\"")), $"\"{precision}\"");
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

            var digests = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (Reader graph in (Reader[])[backbone, .. branches])
            {
                string name = graph.String("graph");
                string? digest = graph.OptionalString("sha256");
                if (digest is null && !requireDigests)
                {
                    continue;
                }

                if (digest is not { Length: 64 } || !digest.All(char.IsAsciiHexDigitLower))
                {
                    throw graph.Error("sha256", "the graph's SHA-256 as 64 lower-case hex digits", digest is null ? "nothing" : $"\"{digest}\"");
                }

                if (digests.TryGetValue(name, out string? other) && other != digest)
                {
                    throw graph.Error("sha256", $"\"{other}\", as for the other use of graph '{name}'", $"\"{digest}\"");
                }

                digests[name] = digest;
            }

            return new ModelManifest
            {
                Name = r.String("name"),
                Version = r.String("version"),
                Source = r.OptionalString("source") ?? "unknown",
                Precision = precision,
                Fidelity = precision == "int8" ? ReadFidelity(r, requireDigests) : null,
                GraphDigests = requireDigests ? digests : null,
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

    /// <summary>The identity of a model: <c>sha256:</c> and the SHA-256 of its manifest's bytes, which hold every graph's SHA-256.</summary>
    public static string Id(ReadOnlySpan<byte> manifest) => "sha256:" + Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(manifest));

    /// <summary>
    /// Writes a manifest from a template: the structure's, with <c>source</c> and every graph's
    /// <c>sha256</c> filled in. The bytes are those of the Python exporter's
    /// <c>json.dumps(manifest, indent=1, ensure_ascii=False)</c>, so converted and exported model files are equal.
    /// </summary>
    /// <param name="template">The manifest with an empty <c>source</c> and null <c>sha256</c> fields.</param>
    /// <param name="source">Where the weights came from.</param>
    /// <param name="digests">Each graph's SHA-256, or <see langword="null"/> to leave them null.</param>
    /// <param name="quantization">Writes the value of an int8 manifest's <c>quantization</c> field, or <see langword="null"/> to leave it as it is.</param>
    public static byte[] Write(JsonElement template, string source, IReadOnlyDictionary<string, string>? digests, Action<Utf8JsonWriter>? quantization = null)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions
        {
            Indented = true,
            IndentSize = 1,
            NewLine = "\n",
            Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        }))
        {
            WriteFilled(writer, template, source, digests, quantization, isRoot: true);
        }

        return buffer.WrittenSpan.ToArray();
    }

    private static void WriteFilled(Utf8JsonWriter writer, JsonElement element, string source, IReadOnlyDictionary<string, string>? digests, Action<Utf8JsonWriter>? quantization, bool isRoot)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                string? graph = element.TryGetProperty("graph", out JsonElement g) && g.ValueKind == JsonValueKind.String ? g.GetString() : null;
                writer.WriteStartObject();
                foreach (JsonProperty property in element.EnumerateObject())
                {
                    writer.WritePropertyName(property.Name);
                    if (isRoot && property.Name == "source")
                    {
                        writer.WriteStringValue(source);
                    }
                    else if (isRoot && property.Name == "quantization" && quantization is not null)
                    {
                        quantization(writer);
                    }
                    else if (graph is not null && property.Name == "sha256" && digests is not null && digests.TryGetValue(graph, out string? digest))
                    {
                        writer.WriteStringValue(digest);
                    }
                    else
                    {
                        WriteFilled(writer, property.Value, source, digests, quantization, isRoot: false);
                    }
                }

                writer.WriteEndObject();
                break;
            case JsonValueKind.Array:
                writer.WriteStartArray();
                foreach (JsonElement item in element.EnumerateArray())
                {
                    WriteFilled(writer, item, source, digests, quantization, isRoot: false);
                }

                writer.WriteEndArray();
                break;
            default:
                element.WriteTo(writer);
                break;
        }
    }

    /// <summary>Reads <c>quantization.fidelity</c>; a model file must have it, a conversion in progress may lack it.</summary>
    private static Conversion.QuantizationFidelity? ReadFidelity(Reader root, bool required)
    {
        if (!required && !root.Has("quantization"))
        {
            return null;
        }

        Reader f = root.Object("quantization").Object("fidelity");
        return new Conversion.QuantizationFidelity(
            f.Int("faces"), f.Double("embeddingCosineMin"), f.Double("embeddingCosineMedian"), f.Double("expressionAgreement"),
            f.Double("ageDifferenceMedian"), f.Double("ageDifferenceMax"), f.Double("attributeAgreement"));
    }

    /// <summary>Typed access to a JSON object that names the path of every missing or mistyped field.</summary>
    private readonly struct Reader(JsonElement element, string origin, string path = "")
    {
        public SwinFaceModelException Error(string field, string expected, string found) =>
            new($"{origin}: manifest field '{path}{field}': expected {expected}, found {found}.");

        public string String(string name) =>
            OptionalString(name) ?? throw Error(name, "a string", Describe(name));

        public string? OptionalString(string name)
        {
            if (Get(name) is not { ValueKind: JsonValueKind.String } v)
            {
                return null;
            }

            try
            {
                return v.GetString();
            }
            catch (InvalidOperationException)
            {
                // An escaped lone surrogate ("\ud800") is valid JSON but no string.
                throw Error(name, "a string of Unicode text", v.GetRawText());
            }
        }

        public bool Has(string name) => Get(name) is { ValueKind: not JsonValueKind.Null };

        public double Double(string name) =>
            Get(name) is { ValueKind: JsonValueKind.Number } v && v.TryGetDouble(out double d) && double.IsFinite(d) ? d : throw Error(name, "a number", Describe(name));

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
