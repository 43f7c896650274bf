using System.Security.Cryptography;

namespace SwinFace.Inference;

/// <summary>Where a model's graphs come from: a model file, or a checkpoint converted on the fly.</summary>
internal interface IModelGraphs
{
    ModelManifest Manifest { get; }

    /// <summary>Gets the name used in error messages.</summary>
    string Origin { get; }

    /// <summary>
    /// Gets the model's identity, <c>sha256:</c> and the SHA-256 of its manifest with every graph's SHA-256 in it:
    /// the same for a checkpoint and for the model file converted from it. Known once every graph has been written.
    /// </summary>
    string ModelId { get; }

    /// <summary>
    /// Writes one graph's ONNX bytes. It returns only once they are known to be right; otherwise it throws
    /// a <see cref="SwinFaceModelException"/>, so nothing is handed to ONNX Runtime before it is checked.
    /// </summary>
    void WriteGraph(string name, Stream destination);
}

/// <summary>
/// A SwinFace model file (<c>.swinface</c>): a stored ZIP archive of the graphs and <c>manifest.json</c>,
/// which records each graph's SHA-256. A graph is copied out with its hash computed on the way and
/// compared with the manifest's, so a damaged file gives a <see cref="SwinFaceModelException"/> and never
/// reaches ONNX Runtime's parser.
/// </summary>
internal sealed class ModelFile : IModelGraphs
{
    private const long MaxManifestBytes = 1 << 20;
    private readonly StoredZip _archive;

    private ModelFile(StoredZip archive, ModelManifest manifest, string modelId)
    {
        _archive = archive;
        Manifest = manifest;
        ModelId = modelId;
    }

    public ModelManifest Manifest { get; }

    public string ModelId { get; }

    public string Origin => _archive.Origin;

    /// <summary>Whether an archive is a model file rather than something else (a checkpoint, say).</summary>
    public static bool IsModelFile(StoredZip archive) => archive.Find(ModelManifest.EntryName) is not null;

    /// <summary>Reads and checks the manifest of a model file.</summary>
    /// <exception cref="SwinFaceModelException">The manifest is missing, damaged or describes another model.</exception>
    public static ModelFile Open(StoredZip archive)
    {
        StoredZip.Entry entry = archive.Find(ModelManifest.EntryName)
            ?? throw new SwinFaceModelException($"{archive.Origin}: expected a '{ModelManifest.EntryName}' entry in the model archive, found entries [{string.Join(", ", archive.Entries.Select(e => e.Name))}].");
        byte[] json = archive.ReadAll(entry, MaxManifestBytes);
        return new ModelFile(archive, ModelManifest.Read(json, archive.Origin, requireDigests: true), ModelManifest.Id(json));
    }

    public void WriteGraph(string name, Stream destination)
    {
        StoredZip.Entry entry = _archive.Find(name)
            ?? throw new SwinFaceModelException($"{Origin}: the manifest names graph '{name}', but the archive has no such entry.");
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        _archive.CopyTo(entry, destination, sha.AppendData);
        string actual = Convert.ToHexStringLower(sha.GetHashAndReset());
        string expected = Manifest.GraphDigests![name];
        if (actual != expected)
        {
            throw new SwinFaceModelException($"{Origin}: graph '{name}' is damaged: its bytes have SHA-256 {actual}, the manifest records {expected}.");
        }
    }
}
