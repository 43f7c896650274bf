namespace SwinFace.Analysis;

/// <summary>The outputs a caller asks <see cref="FaceAnalyzer"/> for. Combine them with <c>|</c>.</summary>
/// <remarks>
/// Tasks that are not requested are not computed: identity needs only the Swin backbone, and each
/// analysis task adds only the model branch that produces it. <see cref="Attributes"/> needs all
/// eleven branches, so it costs about as much as <see cref="All"/>.
/// </remarks>
[Flags]
public enum FaceTasks
{
    /// <summary>Nothing. Not valid for <see cref="FaceAnalyzer.Analyze(SixLabors.ImageSharp.Image{SixLabors.ImageSharp.PixelFormats.Rgb24}, FaceTasks)"/>.</summary>
    None = 0,

    /// <summary>The L2-normalised 512-d identity embedding (<see cref="FaceAnalysis.Embedding"/>).</summary>
    Identity = 1,

    /// <summary>The 7-class facial expression (<see cref="FaceAnalysis.Expression"/>).</summary>
    Expression = 2,

    /// <summary>The estimated age in years (<see cref="FaceAnalysis.Age"/>).</summary>
    Age = 4,

    /// <summary>The probability that the face is male (<see cref="FaceAnalysis.MaleProbability"/>).</summary>
    Gender = 8,

    /// <summary>The 40 CelebA attributes (<see cref="FaceAnalysis.Attributes"/>).</summary>
    Attributes = 16,

    /// <summary>Every task.</summary>
    All = Identity | Expression | Age | Gender | Attributes,
}
