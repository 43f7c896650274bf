namespace SwinFace.Detection;

/// <summary>Options for <see cref="YuNetDetector.Create(YuNetOptions?)"/>. Validated once, when the detector is created.</summary>
public sealed class YuNetOptions
{
    /// <summary>
    /// Gets the path of the YuNet model. The default, <see langword="null"/>, is <c>yunet/yunet_n_dynamic.onnx</c>
    /// next to the application, where the SwinFace package puts it.
    /// </summary>
    public string? ModelPath { get; init; }

    /// <summary>Gets the lowest detection score kept, 0 to 1. The default is 0.8.</summary>
    /// <remarks>
    /// Measured on the labelled photos (BENCHMARKS.md): the faces scored 0.837 and more, the dogs of <c>dogs.jpg</c>
    /// 0.842, 0.757 and 0.752, the faces printed on posters 0.71 and less. Lower it to find more faces that are hard
    /// to see, at the cost of more detections that are not faces.
    /// </remarks>
    public float ScoreThreshold { get; init; } = 0.8f;

    /// <summary>Gets the smallest face kept: the width of its box, in photo pixels. The default is 0: every face the model finds.</summary>
    public float MinFaceSize { get; init; }

    /// <summary>Gets the overlap (intersection over union) above which the weaker of two detections is dropped. The default is 0.3.</summary>
    public float OverlapThreshold { get; init; } = 0.3f;

    /// <summary>Gets the number of threads ONNX Runtime uses inside one detection. The default, 0, lets ONNX Runtime choose.</summary>
    public int IntraOpThreads { get; init; }

    /// <summary>
    /// Gets the pixels the model sees in the first pass at least: photos up to this size are seen whole. Internal,
    /// like the settings below, for the measurements that chose them (BENCHMARKS.md).
    /// </summary>
    internal int MinInputPixels { get; init; } = 500_000;

    /// <summary>Gets the fraction of a larger photo's pixels the model sees in the first pass, between <see cref="MinInputPixels"/> and <see cref="MaxInputPixels"/>.</summary>
    internal double InputFraction { get; init; } = 0.2;

    /// <summary>Gets the most pixels the model sees in the first pass.</summary>
    internal int MaxInputPixels { get; init; } = 4_000_000;

    /// <summary>Gets the most pixels the model sees when it looks again at the regions of small faces.</summary>
    internal int MaxRefinePixels { get; init; } = 4_000_000;

    /// <summary>Gets the longest side the model sees, 0 for no limit besides <see cref="MaxInputPixels"/>. Internal, for the measurements.</summary>
    internal int MaxInputSide { get; init; }

    /// <summary>Gets whether the regions of small faces are looked at again; internal, for the measurements.</summary>
    internal bool Refines { get; init; } = true;

    /// <summary>Gets whether only the finest pass runs; internal, for the measurements.</summary>
    internal bool SinglePass { get; init; }

    /// <summary>Gets whether threads spin while a run lasts; internal, so the benchmarks can compare settings.</summary>
    internal bool Spinning { get; init; } = true;

    internal void Validate()
    {
        if (ModelPath is not null)
        {
            ArgumentException.ThrowIfNullOrWhiteSpace(ModelPath, nameof(ModelPath));
        }

        DetectorSettings.Validate(ScoreThreshold, MinFaceSize, OverlapThreshold, IntraOpThreads);
        ArgumentOutOfRangeException.ThrowIfLessThan(MinInputPixels, 32 * 32, nameof(MinInputPixels));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxInputPixels, MinInputPixels, nameof(MaxInputPixels));
        if (!(InputFraction is > 0 and <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(InputFraction), InputFraction, "The fraction must be above 0 and at most 1.");
        }

        ArgumentOutOfRangeException.ThrowIfNegative(MaxInputSide, nameof(MaxInputSide));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxRefinePixels, 32 * 32, nameof(MaxRefinePixels));
    }
}
