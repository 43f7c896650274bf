using System.Buffers;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using SwinFace.Inference;

namespace SwinFace.Conversion;

/// <summary>
/// The authors' checkpoint turned into SwinFace graphs by filling its weights into the embedded
/// structure: each graph is made when it is asked for, one initializer at a time. It writes a model file
/// with the same bytes as the Python exporter's, or hands the graphs straight to ONNX Runtime.
/// </summary>
internal sealed class CheckpointConversion : IModelGraphs
{
    private readonly ModelStructure _structure;
    private readonly SwinFaceCheckpoint _checkpoint;
    private readonly Dictionary<string, string> _digests = new(StringComparer.Ordinal);

    private CheckpointConversion(ModelStructure structure, SwinFaceCheckpoint checkpoint, string source)
    {
        _structure = structure;
        _checkpoint = checkpoint;
        Source = source;
        Manifest = ModelManifest.Read(ModelManifest.Write(structure.Manifest, source, null), checkpoint.Origin, requireDigests: false);
    }

    /// <summary>Gets what the manifest records as the weights' origin: <c>checkpoint sha256 HEX</c>, as the Python exporter writes it.</summary>
    public string Source { get; }

    public ModelManifest Manifest { get; }

    public string Origin => _checkpoint.Origin;

    public string ModelId => _digests.Count == _structure.Graphs.Count
        ? ModelManifest.Id(ModelManifest.Write(_structure.Manifest, Source, _digests))
        : throw new InvalidOperationException("The model's identity is known once every graph has been written.");

    /// <summary>Reads and strictly checks a checkpoint.</summary>
    /// <exception cref="SwinFaceModelException">The bytes are not the authors' checkpoint format, or not the official architecture.</exception>
    public static CheckpointConversion Open(StoredZip archive, ModelStructure structure)
    {
        TorchCheckpoint torch = TorchCheckpoint.Read(archive);
        SwinFaceCheckpoint checkpoint = SwinFaceCheckpoint.Load(torch, structure);
        return new CheckpointConversion(structure, checkpoint, $"checkpoint sha256 {Sha256(archive.Bytes)}");
    }

    /// <summary>Writes the model file: the graphs in order, then the manifest with their SHA-256.</summary>
    public void WriteModelFile(Stream output)
    {
        var zip = new StoredZipWriter(output);
        var digests = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (GraphStructure graph in _structure.Graphs)
        {
            digests[graph.Name] = zip.Add(graph.Name, s => WriteGraph(graph, s));
        }

        byte[] manifest = ModelManifest.Write(_structure.Manifest, Source, digests);
        zip.Add(ModelManifest.EntryName, s => s.Write(manifest));
        zip.Finish();
    }

    public void WriteGraph(string name, Stream destination)
    {
        GraphStructure graph = _structure.Graphs.FirstOrDefault(g => g.Name == name) ?? throw new SwinFaceModelException($"{Origin}: no graph '{name}' in the structure.");
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        using var hashing = new HashingStream(destination, sha);
        WriteGraph(graph, hashing);
        _digests[name] = Convert.ToHexStringLower(sha.GetHashAndReset());
    }

    private void WriteGraph(GraphStructure graph, Stream destination) =>
        graph.Weights.Write(destination, (slot, data) => Fill(graph, slot, MemoryMarshal.Cast<byte, float>(data)));

    private void Fill(GraphStructure graph, OnnxWeights.Slot slot, Span<float> output)
    {
        Recipe recipe = graph.Recipes[slot.Name];
        TorchTensor source = _checkpoint.Tensor(recipe.Part, recipe.Key);
        long[] shape = source.Shape;
        switch (recipe.Op)
        {
            case "copy":
                Expect(recipe, slot, shape);
                source.ReadSingles(output);
                break;
            case "transpose" when shape.Length == 2:
                Expect(recipe, slot, [shape[1], shape[0]]);
                Transposed(source, output);
                break;
            case "relative_position_bias":
                RelativePositionBias(recipe, slot, source, output);
                break;
            default:
                throw new SwinFaceModelException($"{Origin}: initializer '{slot.Name}' has recipe '{recipe.Op}', which this converter does not know.");
        }
    }

    private static void Transposed(TorchTensor source, Span<float> output)
    {
        int rows = (int)source.Shape[0], cols = (int)source.Shape[1];
        float[] buffer = ArrayPool<float>.Shared.Rent(rows * cols);
        try
        {
            Span<float> input = buffer.AsSpan(0, rows * cols);
            source.ReadSingles(input);
            for (int r = 0; r < rows; r++)
            {
                for (int c = 0; c < cols; c++)
                {
                    output[(c * rows) + r] = input[(r * cols) + c];
                }
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(buffer);
        }
    }

    /// <summary>
    /// The attention bias of a Swin block as the exporter's constant folding computes it:
    /// <c>table[index].view(n, n, heads).permute(2, 0, 1)</c>, plus <c>mask.unsqueeze(1)</c> for a shifted
    /// block, giving (windows or 1, heads, n, n). The float32 sums are the same as PyTorch's.
    /// </summary>
    private void RelativePositionBias(Recipe recipe, OnnxWeights.Slot slot, TorchTensor table, Span<float> output)
    {
        TorchTensor index = _checkpoint.Tensor(recipe.Part, recipe.Index ?? throw new SwinFaceModelException($"{Origin}: recipe of '{slot.Name}' names no index."));
        TorchTensor? mask = recipe.Mask is null ? null : _checkpoint.Tensor(recipe.Part, recipe.Mask);
        if (table.Shape.Length != 2 || index.Shape.Length != 2 || index.Shape[0] != index.Shape[1] || (mask is not null && (mask.Shape.Length != 3 || mask.Shape[1] != index.Shape[0] || mask.Shape[2] != index.Shape[0])))
        {
            throw new SwinFaceModelException($"{Origin}: {recipe.Part}: '{recipe.Key}', '{recipe.Index}' and '{recipe.Mask}' do not have the shapes of a Swin block's bias table, index and mask.");
        }

        int n = (int)index.Shape[0], rows = (int)table.Shape[0], heads = (int)table.Shape[1];
        int windows = mask is null ? 1 : (int)mask.Shape[0];
        Expect(recipe, slot, [windows, heads, n, n]);
        float[] t = ArrayPool<float>.Shared.Rent(rows * heads);
        long[] idx = ArrayPool<long>.Shared.Rent(n * n);
        float[] m = ArrayPool<float>.Shared.Rent(windows * n * n);
        try
        {
            table.ReadSingles(t.AsSpan(0, rows * heads));
            index.ReadInt64s(idx.AsSpan(0, n * n));
            if (mask is not null)
            {
                mask.ReadSingles(m.AsSpan(0, windows * n * n));
            }

            for (int p = 0; p < n * n; p++)
            {
                if (idx[p] < 0 || idx[p] >= rows)
                {
                    throw new SwinFaceModelException($"{Origin}: {recipe.Part}: '{recipe.Index}' holds {idx[p]} at position {p}, outside the {rows} rows of '{recipe.Key}'.");
                }
            }

            for (int w = 0; w < windows; w++)
            {
                for (int h = 0; h < heads; h++)
                {
                    Span<float> block = output.Slice(((w * heads) + h) * n * n, n * n);
                    for (int p = 0; p < n * n; p++)
                    {
                        float bias = t[(idx[p] * heads) + h];
                        block[p] = mask is null ? bias : bias + m[(w * n * n) + p];
                    }
                }
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(t);
            ArrayPool<long>.Shared.Return(idx);
            ArrayPool<float>.Shared.Return(m);
        }
    }

    private void Expect(Recipe recipe, OnnxWeights.Slot slot, long[] dims)
    {
        if (!slot.Dims.SequenceEqual(dims))
        {
            throw new SwinFaceModelException($"{Origin}: initializer '{slot.Name}' ({recipe.Op} of {recipe.Part} '{recipe.Key}') is {TorchTensor.FormatShape(slot.Dims)} in the structure, but the checkpoint gives {TorchTensor.FormatShape(dims)}.");
        }
    }

    private static string Sha256(RandomAccessBytes bytes)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        byte[] buffer = ArrayPool<byte>.Shared.Rent(1 << 20);
        try
        {
            for (long done = 0; done < bytes.Length;)
            {
                int n = (int)Math.Min(1 << 20, bytes.Length - done);
                bytes.Read(done, buffer.AsSpan(0, n));
                sha.AppendData(buffer, 0, n);
                done += n;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }

        return Convert.ToHexStringLower(sha.GetHashAndReset());
    }
}
