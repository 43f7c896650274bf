using SwinFace.Analysis;
using SwinFace.Detection;
using SwinFace.Imaging;

namespace SwinFace.Cli;

/// <summary>One input image's outcome: its faces, or why it could not be read; <paramref name="Damage"/> when the file was damaged but decodable.</summary>
/// <remarks><paramref name="Photo"/> is the photo's analysis, for the JSON; <see langword="null"/> for an aligned crop or an error.</remarks>
internal sealed record ImageResult(string File, int Width, int Height, IReadOnlyList<FaceResult> Faces, string? Error, ImageDamage? Damage = null, PhotoAnalysis? Photo = null)
{
    public static ImageResult Failed(string file, string error) => new(file, 0, 0, [], error);
}

/// <summary>One face: the model's analysis, plus where it was found when the input was a photo.</summary>
/// <remarks><paramref name="CropPng"/> is the aligned crop as PNG bytes, kept only for the HTML report.</remarks>
internal sealed record FaceResult(FaceAnalysis Analysis, FaceDetection? Detection, float? SourceSize, string? CropFile, byte[]? CropPng = null);
