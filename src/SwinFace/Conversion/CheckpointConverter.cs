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
    /// <param name="options">Options, or <see langword="null"/> for an fp32 model.</param>
    /// <returns>What was written, with the int8 model's measured fidelity.</returns>
    /// <exception cref="ArgumentException">A path is empty.</exception>
    /// <exception cref="ArgumentNullException">A path is <see langword="null"/>.</exception>
    /// <exception cref="FileNotFoundException">The checkpoint does not exist, or the int8 fidelity photos are missing.</exception>
    /// <exception cref="SwinFaceModelException">
    /// The file is not the authors' checkpoint format, is damaged, holds another architecture, or its pickle refers to a
    /// global a checkpoint never needs; or the int8 model misses a fidelity bar (<see cref="QuantizationFidelity"/>) and
    /// <see cref="ConversionOptions.Force"/> is off. The message says which.
    /// </exception>
    /// <exception cref="SwinFaceImageException">A fidelity photo given in <see cref="ConversionOptions.FidelityPhotos"/> cannot be read.</exception>
    /// <exception cref="IOException">The model file cannot be written (a full disk, say); an existing file at that path is left as it was.</exception>
    /// <remarks>
    /// An int8 conversion also runs the model: it finds and aligns the faces of the fidelity photos, calibrates on them
    /// mirrored, and compares the int8 model's results with the fp32 model's (about half a minute on two cores).
    /// </remarks>
    public static ConversionResult Convert(string checkpointPath, string modelPath, ConversionOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(checkpointPath);
        ArgumentException.ThrowIfNullOrEmpty(modelPath);
        options ??= new ConversionOptions();
        if (!File.Exists(checkpointPath))
        {
            throw new FileNotFoundException($"Checkpoint not found: {checkpointPath}", checkpointPath);
        }

        var clock = Stopwatch.StartNew();
        using RandomAccessBytes bytes = RandomAccessBytes.Open(checkpointPath);
        TorchCheckpoint.RefuseLegacy(bytes, checkpointPath);
        StoredZip archive = StoredZip.Read(bytes, checkpointPath, "a PyTorch checkpoint written by torch.save");
        CheckpointConversion conversion = CheckpointConversion.Open(archive, ModelStructure.Float32);
        QuantizationFidelity? fidelity = null;
        if (options.Precision == ModelPrecision.Int8)
        {
            (conversion, fidelity) = Int8Conversion.Run(conversion, options);
        }

        Recognition.AtomicFile.Write(modelPath, conversion.WriteModelFile);
        return new ConversionResult(Path.GetFullPath(modelPath), new FileInfo(modelPath).Length, conversion.Source, options.Precision, fidelity, clock.Elapsed);
    }
}

/// <summary>Options for <see cref="CheckpointConverter.Convert(string, string, ConversionOptions?)"/>.</summary>
public sealed class ConversionOptions
{
    /// <summary>Gets the precision of the model to write. The default is <see cref="ModelPrecision.Float32"/>.</summary>
    public ModelPrecision Precision { get; init; } = ModelPrecision.Float32;

    /// <summary>
    /// Gets whether an int8 model is written even when its fidelity misses a bar of <see cref="QuantizationFidelity"/>;
    /// its manifest then records that it was forced. The default is <see langword="false"/>: such a model is refused.
    /// </summary>
    public bool Force { get; init; }

    /// <summary>
    /// Gets the photos whose faces an int8 model is calibrated and measured on. The default, <see langword="null"/>,
    /// takes the public photos that travel with the library (<c>swinface-fidelity/</c>, about 22 faces).
    /// </summary>
    public IReadOnlyList<string>? FidelityPhotos { get; init; }

    /// <summary>Gets a factor on every calibrated range; below 1 it makes activations clip. Internal: tests break quantization with it.</summary>
    internal float RangeFactor { get; init; } = 1;

    /// <summary>Gets whether the SmoothQuant factors are all 1 (no smoothing). Internal: the benchmarks measure what smoothing buys.</summary>
    internal bool NoSmoothing { get; init; }
}

/// <summary>What <see cref="CheckpointConverter.Convert(string, string, ConversionOptions?)"/> wrote.</summary>
/// <param name="ModelPath">The model file's full path.</param>
/// <param name="Bytes">Its size in bytes.</param>
/// <param name="Source">The origin recorded in its manifest: <c>checkpoint sha256</c> and the checkpoint's SHA-256.</param>
/// <param name="Precision">The model's precision.</param>
/// <param name="Fidelity">An int8 model's fidelity to fp32, also recorded in its manifest; <see langword="null"/> for fp32.</param>
/// <param name="Elapsed">How long the conversion took.</param>
public sealed record ConversionResult(string ModelPath, long Bytes, string Source, ModelPrecision Precision, QuantizationFidelity? Fidelity, TimeSpan Elapsed);
