using Microsoft.ML.OnnxRuntime;
using SwinFace.Detection;

namespace SwinFace;

/// <summary>Options for <see cref="FaceAnalyzer.Create(string, FaceAnalyzerOptions?)"/>. Validated once, when the analyzer is created.</summary>
public sealed class FaceAnalyzerOptions
{
    /// <summary>
    /// Gets the number of threads ONNX Runtime uses inside one model run. The default, 0, lets ONNX
    /// Runtime choose (one per physical core). Ignored when <see cref="SessionOptions"/> is set.
    /// </summary>
    public int IntraOpThreads { get; init; }

    /// <summary>
    /// Gets the most faces sent to the model in one run; larger batches are split. The default is 32.
    /// Smaller values lower peak memory, larger ones rarely add speed on a CPU.
    /// </summary>
    public int MaxBatchSize { get; init; } = 32;

    /// <summary>
    /// Gets ONNX Runtime session options to use instead of the analyzer's own, for example to add an
    /// execution provider such as CUDA. The caller keeps ownership: the analyzer never disposes them, and
    /// they may be disposed once <see cref="FaceAnalyzer.Create(string, FaceAnalyzerOptions?)"/> returns.
    /// The default is <see langword="null"/>. The analyzer's own options let threads spin only while a run
    /// lasts (<c>session.intra_op.allow_spinning</c> = 1 with <c>session.force_spinning_stop</c> = 1),
    /// which matters on CPUs because the model runs as twelve sessions in turn; consider the same for yours.
    /// With the analyzer's own options the backbone takes 4 faces a run, which suits a CPU's caches; with
    /// yours, each batch goes through it in one run.
    /// </summary>
    public SessionOptions? SessionOptions { get; init; }

    /// <summary>
    /// Gets the face detector for photos. The caller keeps ownership. The default, <see langword="null"/>,
    /// makes the analyzer create and own a <see cref="BlazeFaceDetector"/> with <see cref="BlazeFace"/>.
    /// </summary>
    public IFaceDetector? Detector { get; init; }

    /// <summary>Gets the options of the default BlazeFace detector, used when <see cref="Detector"/> is <see langword="null"/>. The default is <c>new BlazeFaceOptions()</c>.</summary>
    public BlazeFaceOptions? BlazeFace { get; init; }

    /// <summary>
    /// Gets the largest photo accepted, in pixels (width x height), checked from the file's header before
    /// decoding; the decoder's memory is capped to match. The default is 100,000,000 (100 megapixels).
    /// </summary>
    public long MaxImagePixels { get; init; } = 100_000_000;

    /// <summary>Gets the faces per backbone run; internal, so the benchmarks can compare settings.</summary>
    internal int BackboneChunk { get; init; } = Inference.ModelRunner.DefaultBackboneChunk;

    /// <summary>Gets whether the analyzer's own session options let threads spin while a run lasts; internal, for the benchmarks.</summary>
    internal bool Spinning { get; init; } = true;

    internal void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxImagePixels, 1, nameof(MaxImagePixels));
        ArgumentOutOfRangeException.ThrowIfNegative(IntraOpThreads, nameof(IntraOpThreads));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxBatchSize, 1, nameof(MaxBatchSize));
        ArgumentOutOfRangeException.ThrowIfLessThan(BackboneChunk, 1, nameof(BackboneChunk));
    }
}
