using Microsoft.ML.OnnxRuntime;

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
    /// The default is <see langword="null"/>.
    /// </summary>
    public SessionOptions? SessionOptions { get; init; }

    internal void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfNegative(IntraOpThreads, nameof(IntraOpThreads));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxBatchSize, 1, nameof(MaxBatchSize));
    }
}
