using System.Diagnostics;
using SwinFace.Inference;

namespace SwinFace.Conversion;

/// <summary>
/// Converts the SwinFace authors' checkpoint (<c>checkpoint_step_79999_gpu_0.pt</c>) into a SwinFace model
/// file, in .NET alone: no Python, no PyTorch.
/// </summary>
/// <remarks>
/// <para>
/// The checkpoint is read without running any of its code: its pickle is interpreted by a restricted
/// reader that resolves only the globals a state dict needs, and refuses every other. It is then loaded
/// strictly, with the Python exporter's rules: a missing, unexpected or misshapen key is an error that
/// names the key. Storages saved on a GPU load like any other.
/// </para>
/// <para>
/// The weights are filled into the graph structure of the official Swin-T SwinFace, which ships inside
/// this library. The model file written equals the one the Python exporter (<c>models/export/export.py</c>)
/// writes from the same checkpoint, byte for byte. A checkpoint of another architecture (such as this
/// project's tiny test model) needs the Python exporter, and the error says so.
/// </para>
/// <para><see cref="FaceAnalyzer"/>.Create also accepts the checkpoint itself and converts it while it loads; writing the model file once makes later loads faster.</para>
/// </remarks>
public static class CheckpointConverter
{
    /// <summary>Converts a checkpoint into a model file, which is replaced all at once.</summary>
    /// <param name="checkpointPath">The authors' checkpoint, as <c>torch.save</c> wrote it (PyTorch 1.6 or later).</param>
    /// <param name="modelPath">The model file to write (<c>.swinface</c>). A partly written file never replaces an existing one.</param>
    /// <returns>What was written.</returns>
    /// <exception cref="ArgumentException">A path is empty.</exception>
    /// <exception cref="ArgumentNullException">A path is <see langword="null"/>.</exception>
    /// <exception cref="FileNotFoundException">The checkpoint does not exist.</exception>
    /// <exception cref="SwinFaceModelException">The file is not the authors' checkpoint format, is damaged, holds another architecture, or its pickle refers to a global a checkpoint never needs.</exception>
    /// <exception cref="IOException">The model file cannot be written (a full disk, say); an existing file at that path is left as it was.</exception>
    public static ConversionResult Convert(string checkpointPath, string modelPath)
    {
        ArgumentException.ThrowIfNullOrEmpty(checkpointPath);
        ArgumentException.ThrowIfNullOrEmpty(modelPath);
        if (!File.Exists(checkpointPath))
        {
            throw new FileNotFoundException($"Checkpoint not found: {checkpointPath}", checkpointPath);
        }

        var clock = Stopwatch.StartNew();
        using RandomAccessBytes bytes = RandomAccessBytes.Open(checkpointPath);
        TorchCheckpoint.RefuseLegacy(bytes, checkpointPath);
        StoredZip archive = StoredZip.Read(bytes, checkpointPath, "a PyTorch checkpoint written by torch.save");
        CheckpointConversion conversion = CheckpointConversion.Open(archive, ModelStructure.Float32);
        Recognition.AtomicFile.Write(modelPath, conversion.WriteModelFile);
        return new ConversionResult(Path.GetFullPath(modelPath), new FileInfo(modelPath).Length, conversion.Source, clock.Elapsed);
    }
}

/// <summary>What <see cref="CheckpointConverter.Convert(string, string)"/> wrote.</summary>
/// <param name="ModelPath">The model file's full path.</param>
/// <param name="Bytes">Its size in bytes.</param>
/// <param name="Source">The origin recorded in its manifest: <c>checkpoint sha256</c> and the checkpoint's SHA-256.</param>
/// <param name="Elapsed">How long the conversion took.</param>
public sealed record ConversionResult(string ModelPath, long Bytes, string Source, TimeSpan Elapsed);
