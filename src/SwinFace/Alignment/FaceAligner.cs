using System.Numerics;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using SwinFace.Detection;

namespace SwinFace.Alignment;

/// <summary>
/// Aligns faces to the ArcFace 112 x 112 five-point template, the alignment of SwinFace's training data.
/// </summary>
/// <remarks>
/// <para>
/// The transform is the least-squares similarity (rotation, uniform scale, translation; never a
/// reflection) that maps the landmarks onto the template, every point counting equally, as in the alignment
/// of the training data.
/// </para>
/// <para>
/// Five points, the default path: when the landmarks have both mouth corners
/// (<see cref="FaceLandmarks.HasMouthCorners"/>; the default YuNet detector always gives them), the eyes, the
/// nose tip and the two mouth corners each map to their template point. This is how SwinFace's training data
/// was aligned.
/// </para>
/// <para>
/// Four points, only for detectors without mouth corners (BlazeFace): the eyes, the nose tip, and the mouth
/// centre, which maps to the mean of the template's two mouth corners, (56.1396, 92.2848). It approximates the
/// five-point fit; the training data never saw it. <see cref="PhotoFace.AlignmentPoints"/> says which path a
/// face took.
/// </para>
/// <para>
/// On a turned head a similarity cannot put every point on the template (turning narrows the eyes and moves
/// the nose tip sideways), so the points of such a crop land a few pixels off their template positions, just
/// as they did in training.
/// </para>
/// <para>
/// The crop is sampled bilinearly; pixels that fall outside the source image are black, as in the
/// <c>cv2.warpAffine</c> crops the model was trained on. The source image is never modified.
/// </para>
/// </remarks>
public static class FaceAligner
{
    /// <summary>The side of an aligned crop in pixels: 112.</summary>
    public const int Size = 112;

    private static readonly PointF[] Template =
    [
        new(38.2946f, 51.6963f), new(73.5318f, 51.5014f), new(56.0252f, 71.7366f), new(41.5493f, 92.3655f), new(70.7299f, 92.2041f),
    ];

    /// <summary>Gets the ArcFace template for 112 x 112 crops: left eye, right eye, nose tip, left and right mouth corners ("left" = image left).</summary>
    public static IReadOnlyList<PointF> ArcFaceTemplate => Template;

    /// <summary>Computes the similarity transform from image coordinates to the 112 x 112 crop.</summary>
    /// <param name="landmarks">The face's landmarks in the image: five points when it has mouth corners, otherwise four.</param>
    /// <returns>The transform; apply it with <see cref="Vector2.Transform(Vector2, Matrix3x2)"/>.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="landmarks"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">The landmarks are all at one point, so no transform exists.</exception>
    public static Matrix3x2 EstimateTransform(FaceLandmarks landmarks)
    {
        ArgumentNullException.ThrowIfNull(landmarks);
        if (landmarks.MouthLeft is { } ml && landmarks.MouthRight is { } mr)
        {
            return SimilarityTransform.Fit([landmarks.LeftEye, landmarks.RightEye, landmarks.Nose, ml, mr], Template);
        }

        var mouth = new PointF((Template[3].X + Template[4].X) / 2, (Template[3].Y + Template[4].Y) / 2);
        return SimilarityTransform.Fit([landmarks.LeftEye, landmarks.RightEye, landmarks.Nose, landmarks.MouthCenter], [Template[0], Template[1], Template[2], mouth]);
    }

    /// <summary>Cuts the aligned 112 x 112 face out of an image.</summary>
    /// <param name="image">The image; never modified.</param>
    /// <param name="landmarks">The face's landmarks in the image.</param>
    /// <returns>A new 112 x 112 image the caller disposes.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="image"/> or <paramref name="landmarks"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">The landmarks are all at one point, so no transform exists.</exception>
    public static Image<Rgb24> Align(Image<Rgb24> image, FaceLandmarks landmarks)
    {
        ArgumentNullException.ThrowIfNull(image);
        byte[] rgb = new byte[Size * Size * 3];
        AffineWarp.Warp(image, EstimateTransform(landmarks), rgb, Size, Size);
        return Image.LoadPixelData<Rgb24>(rgb, Size, Size);
    }

    /// <summary>The side, in source pixels, of the image region that becomes the crop: below 112 the crop was upsampled.</summary>
    internal static float SourceSize(Matrix3x2 transform) =>
        Size / MathF.Sqrt((transform.M11 * transform.M11) + (transform.M12 * transform.M12));
}
