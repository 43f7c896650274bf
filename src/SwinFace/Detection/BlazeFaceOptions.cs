namespace SwinFace.Detection;

/// <summary>Which BlazeFace models a <see cref="BlazeFaceDetector"/> runs.</summary>
public enum BlazeFaceModels
{
    /// <summary>The short-range model (128 x 128 input): faces that fill much of the photo, such as selfies.</summary>
    ShortRange = 1,

    /// <summary>The full-range model (256 x 256 input): smaller faces, such as group photos.</summary>
    FullRange = 2,

    /// <summary>Both models, their detections merged by weighted non-maximum suppression: close-ups and group photos alike.</summary>
    Both = ShortRange | FullRange,
}

/// <summary>Options for <see cref="BlazeFaceDetector.Create(BlazeFaceOptions?)"/>. Validated once, when the detector is created.</summary>
public sealed class BlazeFaceOptions
{
    /// <summary>
    /// Gets the folder that holds <c>face_detection_front_128x128_barracuda.onnx</c> and
    /// <c>face_detection_back_256x256_barracuda.onnx</c>. The default, <see langword="null"/>, is the
    /// <c>blazeface</c> folder next to the application, where the SwinFace package puts them.
    /// </summary>
    public string? ModelDirectory { get; init; }

    /// <summary>Gets the models to run. The default is <see cref="BlazeFaceModels.Both"/>.</summary>
    public BlazeFaceModels Models { get; init; } = BlazeFaceModels.Both;

    /// <summary>Gets the lowest detection score kept, 0 to 1. The default is 0.6.</summary>
    public float ScoreThreshold { get; init; } = 0.6f;

    /// <summary>Gets the smallest face kept: the width of its box, in image pixels. The default is 16.</summary>
    public float MinFaceSize { get; init; } = 16f;

    /// <summary>Gets the overlap (intersection over union) above which detections are merged. The default is 0.3, as in MediaPipe.</summary>
    public float OverlapThreshold { get; init; } = 0.3f;

    /// <summary>Gets the number of threads ONNX Runtime uses inside one detection. The default, 0, lets ONNX Runtime choose.</summary>
    public int IntraOpThreads { get; init; }

    /// <summary>Gets whether threads spin while a run lasts; internal, so the benchmarks can compare settings.</summary>
    internal bool Spinning { get; init; } = true;

    internal void Validate()
    {
        if (Models is not (BlazeFaceModels.ShortRange or BlazeFaceModels.FullRange or BlazeFaceModels.Both))
        {
            throw new ArgumentOutOfRangeException(nameof(Models), Models, "Choose ShortRange, FullRange or Both.");
        }

        DetectorSettings.Validate(ScoreThreshold, MinFaceSize, OverlapThreshold, IntraOpThreads);
    }
}
