using SwinFace.Conversion;

namespace SwinFace.Inference;

/// <summary>Opens what <see cref="FaceAnalyzer"/>.Create is given: a model file, or the authors' checkpoint to convert on the fly.</summary>
internal static class ModelLoader
{
    /// <summary>Recognises the bytes by their content and opens them.</summary>
    /// <exception cref="SwinFaceModelException">The bytes are neither a SwinFace model file nor a PyTorch checkpoint of the official SwinFace, or they are damaged.</exception>
    public static IModelGraphs Open(RandomAccessBytes bytes, string origin)
    {
        TorchCheckpoint.RefuseLegacy(bytes, origin);
        StoredZip archive = StoredZip.Read(bytes, origin, "a SwinFace model file (.swinface) or the authors' PyTorch checkpoint (.pt)");
        if (ModelFile.IsModelFile(archive))
        {
            return ModelFile.Open(archive);
        }

        if (TorchCheckpoint.LooksLikeCheckpoint(archive))
        {
            return CheckpointConversion.Open(archive, ModelStructure.Float32);
        }

        throw new SwinFaceModelException(
            $"{origin}: expected a SwinFace model file (a ZIP archive with '{ModelManifest.EntryName}') or a PyTorch checkpoint (a ZIP archive with NAME/data.pkl), found a ZIP archive with entries [{string.Join(", ", archive.Entries.Take(8).Select(e => e.Name))}{(archive.Entries.Count > 8 ? ", ..." : string.Empty)}].");
    }
}
