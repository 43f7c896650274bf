namespace SwinFace.Conversion;

/// <summary>
/// The authors' checkpoint, checked strictly: a dict of the four state dicts <c>state_dict_backbone</c>,
/// <c>state_dict_fam</c>, <c>state_dict_tss</c> and <c>state_dict_om</c>, whose keys, shapes and dtypes
/// equal what the model structure expects. The rules and messages are those of the Python exporter
/// (<c>models/export/checkpoint.py</c>): a missing, unexpected or misshapen key is an error that names it.
/// </summary>
internal sealed class SwinFaceCheckpoint
{
    private readonly Dictionary<string, Dictionary<string, TorchTensor>> _parts;

    private SwinFaceCheckpoint(string origin, Dictionary<string, Dictionary<string, TorchTensor>> parts)
    {
        Origin = origin;
        _parts = parts;
    }

    public string Origin { get; }

    /// <summary>Checks a checkpoint against a structure.</summary>
    /// <exception cref="SwinFaceModelException">The checkpoint is not the authors' format, or is of another architecture: the message names the key.</exception>
    public static SwinFaceCheckpoint Load(TorchCheckpoint checkpoint, ModelStructure structure)
    {
        string origin = checkpoint.Archive.Origin;
        if (checkpoint.Root is not PickleDict root)
        {
            throw new SwinFaceModelException($"{origin}: expected a dict of four state dicts, found {Unpickler.Describe(checkpoint.Root)}.");
        }

        var wanted = structure.Checkpoint.Select(p => p.Name).ToArray();
        string? extra = root.Items.Select(i => i.Key as string ?? Unpickler.Describe(i.Key)).Where(k => !wanted.Contains(k)).Order(StringComparer.Ordinal).FirstOrDefault();
        if (extra is not null)
        {
            throw new SwinFaceModelException($"{origin}: unexpected top-level key '{extra}'.");
        }

        var given = new Dictionary<string, PickleDict>(StringComparer.Ordinal);
        foreach (string part in wanted)
        {
            if (!root.TryGet(part, out object? value))
            {
                throw new SwinFaceModelException($"{origin}: missing top-level key '{part}'.");
            }

            given[part] = value as PickleDict
                ?? throw new SwinFaceModelException($"{origin}: '{part}' is a {Unpickler.Describe(value)}, expected a state dict.");
        }

        var parts = new Dictionary<string, Dictionary<string, TorchTensor>>(StringComparer.Ordinal);
        foreach ((string part, PickleDict dict) in given)
        {
            var tensors = new Dictionary<string, TorchTensor>(StringComparer.Ordinal);
            foreach ((object key, object? value) in dict.Items)
            {
                string name = key as string ?? throw new SwinFaceModelException($"{origin}: {part}: a key of type {Unpickler.Describe(key)}; state dict keys are strings.");
                tensors[name] = value as TorchTensor
                    ?? throw new SwinFaceModelException($"{origin}: {part}: '{name}' is a {Unpickler.Describe(value)}, expected a tensor.");
            }

            parts[part] = tensors;
        }

        CheckArchitecture(origin, parts, structure);
        foreach (CheckpointPart part in structure.Checkpoint)
        {
            Dictionary<string, TorchTensor> tensors = parts[part.Name];
            var expected = part.Tensors.ToDictionary(t => t.Key, StringComparer.Ordinal);
            if (part.Tensors.FirstOrDefault(t => !tensors.ContainsKey(t.Key)) is { } missing)
            {
                throw new SwinFaceModelException($"{origin}: {part.Name}: missing key '{missing.Key}'.");
            }

            foreach ((string name, TorchTensor tensor) in tensors)
            {
                if (!expected.TryGetValue(name, out ExpectedTensor? want))
                {
                    throw new SwinFaceModelException($"{origin}: {part.Name}: unexpected key '{name}'.");
                }

                if (Mismatch(part.Name, name, tensor, want) is { } message)
                {
                    throw new SwinFaceModelException($"{origin}: {message}.");
                }
            }
        }

        return new SwinFaceCheckpoint(origin, parts);
    }

    /// <summary>Gets a tensor the strict check has already found, with the shape and dtype it was checked for.</summary>
    public TorchTensor Tensor(string part, string key) =>
        _parts.TryGetValue(part, out var tensors) && tensors.TryGetValue(key, out TorchTensor? t)
            ? t
            : throw new SwinFaceModelException($"{Origin}: {part}: missing key '{key}'.");

    private static string? Mismatch(string part, string name, TorchTensor tensor, ExpectedTensor want) =>
        tensor.Shape.SequenceEqual(want.Shape) && tensor.DType.ShortName() == want.DType
            ? null
            : $"{part}: '{name}' is {tensor.ShapeText} {tensor.DType.TorchName()}, expected {TorchTensor.FormatShape(want.Shape)} torch.{want.DType}";

    /// <summary>
    /// Reads the architecture from tensor shapes, as the Python exporter does, and compares it with the
    /// structure's. Another one (the tiny test model, say) is refused with what was found: the structure
    /// embedded here is the official model's, and only the Python exporter builds graphs for others.
    /// </summary>
    private static void CheckArchitecture(string origin, Dictionary<string, Dictionary<string, TorchTensor>> parts, ModelStructure structure)
    {
        var listing = structure.Checkpoint.ToDictionary(p => p.Name, p => p.Tensors.ToDictionary(t => t.Key, t => t.Shape, StringComparer.Ordinal), StringComparer.Ordinal);
        string official = Architecture.Infer((p, k) => listing[p].GetValueOrDefault(k), origin);
        string found = Architecture.Infer((p, k) => parts[p].TryGetValue(k, out TorchTensor? t) ? t.Shape : null, origin);
        if (found == official)
        {
            return;
        }

        string first = structure.Checkpoint
            .SelectMany(p => p.Tensors.Select(t => parts[p.Name].TryGetValue(t.Key, out TorchTensor? given)
                ? Mismatch(p.Name, t.Key, given, t)
                : $"{p.Name}: missing key '{t.Key}'"))
            .FirstOrDefault(m => m is not null)
            ?? "none among the expected keys";
        throw new SwinFaceModelException(
            $"{origin}: a SwinFace checkpoint of another architecture ({found}); the converter built into this library makes only the official Swin-T SwinFace ({official}). " +
            $"Convert this checkpoint with the Python exporter, which builds graphs for any architecture: models/export/export.py --checkpoint CKPT --out MODEL. First difference: {first}.");
    }

    /// <summary>The architecture parameters that the Python exporter's <c>infer_config</c> reads from tensor shapes.</summary>
    private static class Architecture
    {
        private const string Backbone = "state_dict_backbone";
        private const string Fam = "state_dict_fam";

        public static string Infer(Func<string, string, long[]?> shape, string origin)
        {
            long[] Require(string part, string key) =>
                shape(part, key) ?? throw new SwinFaceModelException($"{origin}: {part}: missing key '{key}'.");
            long Dim(long[] s, int i) => i < s.Length ? s[i] : -1;

            long[] proj = Require(Backbone, "patch_embed.proj.weight");
            var depths = new List<int>();
            var heads = new List<long>();
            var windows = new List<long>();
            for (int stage = 0; shape(Backbone, $"layers.{stage}.blocks.0.norm1.weight") is not null; stage++)
            {
                int block = 0;
                while (shape(Backbone, $"layers.{stage}.blocks.{block}.norm1.weight") is not null)
                {
                    block++;
                }

                long[] table = Require(Backbone, $"layers.{stage}.blocks.0.attn.relative_position_bias_table");
                depths.Add(block);
                heads.Add(Dim(table, 1));
                windows.Add(((long)Math.Round(Math.Sqrt(Dim(table, 0))) + 1) / 2);
            }

            if (depths.Count == 0)
            {
                throw new SwinFaceModelException($"{origin}: {Backbone}: no 'layers.0.blocks.0' keys; not a Swin backbone.");
            }

            long[] fc1 = Require(Backbone, "layers.0.blocks.0.mlp.fc1.weight");
            long[] embedding = Require(Backbone, "feature.3.weight");
            var split = new List<long>();
            while (shape(Fam, $"nets.0.conv.convs.{split.Count}.weight") is { } conv)
            {
                split.Add(Dim(conv, 0));
            }

            long[] hidden = Require(Fam, "nets.0.channel_attention.mlp.1.weight");
            return $"embed {Dim(proj, 0)}, patch {Dim(proj, proj.Length - 1)}, depths [{string.Join(", ", depths)}], heads [{string.Join(", ", heads)}], " +
                $"window {windows[0]}, MLP {Dim(fc1, 0)}, embedding {Dim(embedding, 0)}, FAM split [{string.Join(", ", split)}], channel attention {Dim(hidden, 0)}";
        }
    }
}
