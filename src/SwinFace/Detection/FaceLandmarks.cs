using SixLabors.ImageSharp;

namespace SwinFace.Detection;

/// <summary>
/// Facial keypoints in image pixel coordinates, where (0, 0) is the centre of the top-left pixel
/// (the convention of OpenCV and of the ArcFace template). "Left" and "right" mean image left and right.
/// </summary>
/// <remarks>
/// Five-point detectors (YuNet, the default; RetinaFace, SCRFD) give both mouth corners: use
/// <see cref="FromFivePoints"/>; such faces are aligned by all five points. BlazeFace gives only the mouth centre,
/// plus the ear tragions, and its faces are aligned by four points.
/// </remarks>
public sealed class FaceLandmarks
{
    private FaceLandmarks(PointF leftEye, PointF rightEye, PointF nose, PointF mouthCenter, PointF? mouthLeft, PointF? mouthRight, PointF? leftEar, PointF? rightEar)
    {
        LeftEye = leftEye;
        RightEye = rightEye;
        Nose = nose;
        MouthCenter = mouthCenter;
        MouthLeft = mouthLeft;
        MouthRight = mouthRight;
        LeftEar = leftEar;
        RightEar = rightEar;
    }

    /// <summary>Gets the centre of the eye on the image's left.</summary>
    public PointF LeftEye { get; }

    /// <summary>Gets the centre of the eye on the image's right.</summary>
    public PointF RightEye { get; }

    /// <summary>Gets the nose tip.</summary>
    public PointF Nose { get; }

    /// <summary>Gets the mouth centre: given by the detector, or the mean of the two corners.</summary>
    public PointF MouthCenter { get; }

    /// <summary>Gets the mouth corner on the image's left, when the detector gives corners.</summary>
    public PointF? MouthLeft { get; }

    /// <summary>Gets the mouth corner on the image's right, when the detector gives corners.</summary>
    public PointF? MouthRight { get; }

    /// <summary>
    /// Gets a value indicating whether the detector gave both mouth corners. Such a face is aligned by all five
    /// points of the ArcFace template; a face without them (BlazeFace) by four, with the mouth centre.
    /// </summary>
    public bool HasMouthCorners => MouthLeft.HasValue && MouthRight.HasValue;

    /// <summary>Gets the ear tragion on the image's left, when the detector gives it (BlazeFace does).</summary>
    public PointF? LeftEar { get; }

    /// <summary>Gets the ear tragion on the image's right, when the detector gives it (BlazeFace does).</summary>
    public PointF? RightEar { get; }

    /// <summary>Creates landmarks from the five points of YuNet-, RetinaFace- or SCRFD-style detectors.</summary>
    /// <param name="leftEye">The eye on the image's left.</param>
    /// <param name="rightEye">The eye on the image's right.</param>
    /// <param name="nose">The nose tip.</param>
    /// <param name="mouthLeft">The mouth corner on the image's left.</param>
    /// <param name="mouthRight">The mouth corner on the image's right.</param>
    /// <returns>The landmarks.</returns>
    public static FaceLandmarks FromFivePoints(PointF leftEye, PointF rightEye, PointF nose, PointF mouthLeft, PointF mouthRight) =>
        new(leftEye, rightEye, nose, new PointF((mouthLeft.X + mouthRight.X) / 2, (mouthLeft.Y + mouthRight.Y) / 2), mouthLeft, mouthRight, null, null);

    /// <summary>Creates landmarks from eyes, nose and mouth centre (BlazeFace-style detectors), with optional ears.</summary>
    /// <param name="leftEye">The eye on the image's left.</param>
    /// <param name="rightEye">The eye on the image's right.</param>
    /// <param name="nose">The nose tip.</param>
    /// <param name="mouthCenter">The centre of the mouth.</param>
    /// <param name="leftEar">The ear tragion on the image's left, if known.</param>
    /// <param name="rightEar">The ear tragion on the image's right, if known.</param>
    /// <returns>The landmarks.</returns>
    public static FaceLandmarks FromMouthCenter(PointF leftEye, PointF rightEye, PointF nose, PointF mouthCenter, PointF? leftEar = null, PointF? rightEar = null) =>
        new(leftEye, rightEye, nose, mouthCenter, null, null, leftEar, rightEar);
}
