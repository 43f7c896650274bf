using SixLabors.ImageSharp;

namespace SwinFace.Detection;

/// <summary>One face found in an image.</summary>
/// <param name="Box">The face's bounding box in image pixels (x, y of the top-left corner, width, height).</param>
/// <param name="Landmarks">The facial keypoints, in the same coordinates.</param>
/// <param name="Score">The detector's confidence, 0 to 1.</param>
public sealed record FaceDetection(RectangleF Box, FaceLandmarks Landmarks, float Score);

/// <summary>Finds faces and their keypoints in an image. Implement it to plug in your own detector.</summary>
/// <remarks>
/// Implementations must be safe to call from many threads at once, because <see cref="FaceAnalyzer"/> is.
/// They must not modify the image.
/// </remarks>
public interface IFaceDetector
{
    /// <summary>Finds every face in an image.</summary>
    /// <param name="image">The image, already upright (EXIF orientation applied).</param>
    /// <returns>The faces found, strongest first; empty when there are none.</returns>
    IReadOnlyList<FaceDetection> Detect(SixLabors.ImageSharp.Image<SixLabors.ImageSharp.PixelFormats.Rgb24> image);
}
