using SwinFace.Analysis;

namespace SwinFace;

/// <summary>
/// What <see cref="FaceAnalyzer.AnalyzePhotoAsync(Stream, PhotoAnalysisOptions?, CancellationToken)"/> computes for one
/// photo. Validated on each call.
/// </summary>
public sealed class PhotoAnalysisOptions
{
    /// <summary>The defaults: every output, every face, no crops.</summary>
    internal static readonly PhotoAnalysisOptions Default = new();

    /// <summary>Gets the outputs to compute for each face. The default is <see cref="FaceTasks.All"/>.</summary>
    public FaceTasks Tasks { get; init; } = FaceTasks.All;

    /// <summary>Gets a value indicating whether each face's aligned 112 x 112 crop is returned. The default is <see langword="false"/>.</summary>
    public bool IncludeAlignedFaces { get; init; }

    /// <summary>
    /// Gets the most faces analysed in the photo: the strongest detections are kept, and the rest are counted in
    /// <see cref="PhotoAnalysis.SkippedFaces"/>. The default is <see cref="int.MaxValue"/>.
    /// </summary>
    public int MaxFaces { get; init; } = int.MaxValue;

    /// <summary>
    /// Gets the smallest face analysed: the width of its box, in photo pixels. Smaller faces are counted in
    /// <see cref="PhotoAnalysis.SkippedFaces"/>. The default, 0, keeps every face the detector returns (the detector
    /// has its own minimum).
    /// </summary>
    public float MinFaceSize { get; init; }

    /// <summary>Gets how errors name the photo, such as an upload's file name. The default is <c>image stream</c>.</summary>
    public string Name { get; init; } = "image stream";

    internal void Validate()
    {
        if (Tasks == FaceTasks.None || (Tasks & ~FaceTasks.All) != 0)
        {
            throw new ArgumentException($"Request at least one defined task; got {Tasks}.", nameof(Tasks));
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(MaxFaces, 1, nameof(MaxFaces));
        ArgumentNullException.ThrowIfNull(Name, nameof(Name));
        if (!(MinFaceSize >= 0f) || float.IsInfinity(MinFaceSize))
        {
            throw new ArgumentOutOfRangeException(nameof(MinFaceSize), MinFaceSize, "The minimum face size must be 0 or more pixels.");
        }
    }
}
