using System.Buffers;
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
    private readonly WeightMaker _maker;
    private readonly Action<System.Text.Json.Utf8JsonWriter>? _quantization;
    private readonly Dictionary<string, string> _digests = new(StringComparer.Ordinal);

    private CheckpointConversion(ModelStructure structure, SwinFaceCheckpoint checkpoint, string source, CalibrationResult? calibration, Action<System.Text.Json.Utf8JsonWriter>? quantization)
    {
        _structure = structure;
        Checkpoint = checkpoint;
        _maker = new WeightMaker(checkpoint, calibration);
        _quantization = quantization;
        Source = source;
        Manifest = ModelManifest.Read(ModelManifest.Write(structure.Manifest, source, null, quantization), checkpoint.Origin, requireDigests: false);
    }

    /// <summary>Gets the checkpoint, checked.</summary>
    public SwinFaceCheckpoint Checkpoint { get; }

    /// <summary>Gets the structure this conversion fills.</summary>
    public ModelStructure Structure => _structure;

    /// <summary>Gets the maker of this conversion's weights.</summary>
    public WeightMaker Weights => _maker;

    /// <summary>Gets what the manifest records as the weights' origin: <c>checkpoint sha256 HEX</c>, as the Python exporter writes it.</summary>
    public string Source { get; }

    public ModelManifest Manifest { get; }

    public string Origin => Checkpoint.Origin;

    public string ModelId => _digests.Count == _structure.Graphs.Count
        ? ModelManifest.Id(ModelManifest.Write(_structure.Manifest, Source, _digests, _quantization))
        : throw new InvalidOperationException("The model's identity is known once every graph has been written.");

    /// <summary>Reads and strictly checks a checkpoint.</summary>
    /// <exception cref="SwinFaceModelException">The bytes are not the authors' checkpoint format, or not the official architecture.</exception>
    public static CheckpointConversion Open(StoredZip archive, ModelStructure structure)
    {
        TorchCheckpoint torch = TorchCheckpoint.Read(archive);
        SwinFaceCheckpoint checkpoint = SwinFaceCheckpoint.Load(torch, structure);
        return new CheckpointConversion(structure, checkpoint, $"checkpoint sha256 {Sha256(archive.Bytes)}", null, null);
    }

    /// <summary>The same checkpoint in another structure (int8), with what calibration measured and what the manifest records of it.</summary>
    public CheckpointConversion With(ModelStructure structure, CalibrationResult? calibration, Action<System.Text.Json.Utf8JsonWriter>? quantization) =>
        new(structure, Checkpoint, Source, calibration, quantization);

    /// <summary>Writes the model file: the graphs in order, then the manifest with their SHA-256.</summary>
    public void WriteModelFile(Stream output)
    {
        var zip = new StoredZipWriter(output);
        var digests = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (GraphStructure graph in _structure.Graphs)
        {
            digests[graph.Name] = zip.Add(graph.Name, s => WriteGraph(graph, s));
        }

        byte[] manifest = ModelManifest.Write(_structure.Manifest, Source, digests, _quantization);
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
        graph.Weights.Write(destination, (slot, data) => _maker.Fill(slot, graph.Recipes[slot.Name], data));

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
