using System.Numerics;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using SwinFace.Alignment;
using SwinFace.Detection;

namespace SwinFace.Tests.Alignment;

/// <summary>The similarity fit and the warp, on synthetic cases: no model needed.</summary>
public sealed class FaceAlignerTests
{
    private static readonly PointF[] Template = [.. FaceAligner.ArcFaceTemplate];

    [Theory]
    [InlineData(0f, 1f, 0f, 0f)]
    [InlineData(20f, 2.5f, 310.5f, -42f)]
    [InlineData(-135f, 0.4f, 12f, 900f)]
    [InlineData(179f, 7f, -3f, 5f)]
    public void EstimateTransform_RecoversAKnownSimilarityFromFivePoints(float degrees, float scale, float tx, float ty)
    {
        Matrix3x2 known = Similarity(degrees, scale, tx, ty);
        Matrix3x2.Invert(known, out Matrix3x2 toImage);
        PointF[] image = Template.Select(p => Map(p, toImage)).ToArray();

        Matrix3x2 fitted = FaceAligner.EstimateTransform(FaceLandmarks.FromFivePoints(image[0], image[1], image[2], image[3], image[4]));

        AssertMatrix(known, fitted, 1e-3f * Math.Max(1f, MathF.Abs(tx) + MathF.Abs(ty)));
    }

    [Fact]
    public void EstimateTransform_MapsTheMouthCentreToTheMeanOfTheTemplateCorners()
    {
        Matrix3x2 known = Similarity(-30f, 3f, 100f, 50f);
        Matrix3x2.Invert(known, out Matrix3x2 toImage);
        var mouth = new PointF((Template[3].X + Template[4].X) / 2, (Template[3].Y + Template[4].Y) / 2);
        var landmarks = FaceLandmarks.FromMouthCenter(Map(Template[0], toImage), Map(Template[1], toImage), Map(Template[2], toImage), Map(mouth, toImage));

        Matrix3x2 fitted = FaceAligner.EstimateTransform(landmarks);

        AssertMatrix(known, fitted, 1e-3f);
        Assert.Equal(56.1396f, Map(landmarks.MouthCenter, fitted).X, 2);
        Assert.Equal(92.2848f, Map(landmarks.MouthCenter, fitted).Y, 2);
    }

    [Fact]
    public void EstimateTransform_NeverReflects()
    {
        // A mirrored face: left and right swapped. A reflection would fit exactly; a similarity cannot.
        PointF[] m = Template.Select(p => new PointF(112 - p.X, p.Y)).ToArray();
        Matrix3x2 fitted = FaceAligner.EstimateTransform(FaceLandmarks.FromFivePoints(m[1], m[0], m[2], m[4], m[3]));
        Assert.True(fitted.GetDeterminant() > 0, "determinant must be positive: rotation and scale only");
    }

    [Fact]
    public void EstimateTransform_ThrowsWhenAllPointsCoincide()
    {
        var p = new PointF(5, 5);
        Assert.Throws<ArgumentException>(() => FaceAligner.EstimateTransform(FaceLandmarks.FromFivePoints(p, p, p, p, p)));
    }

    [Fact]
    public void Align_WithTemplateLandmarksCopiesTheTopLeft112Pixels()
    {
        using var image = new Image<Rgb24>(150, 130);
        for (int y = 0; y < 130; y++)
        {
            for (int x = 0; x < 150; x++)
            {
                image[x, y] = new Rgb24((byte)x, (byte)y, (byte)(x ^ y));
            }
        }

        using Image<Rgb24> crop = FaceAligner.Align(image, FaceLandmarks.FromFivePoints(Template[0], Template[1], Template[2], Template[3], Template[4]));

        Assert.Equal(112, crop.Width);
        Assert.Equal(112, crop.Height);
        Assert.Equal(image[0, 0], crop[0, 0]);
        Assert.Equal(image[111, 111], crop[111, 111]);
        Assert.Equal(image[57, 31], crop[57, 31]);
    }

    [Fact]
    public void Align_FillsOutsideTheImageWithBlackAndLeavesTheSourceAlone()
    {
        using var image = new Image<Rgb24>(20, 20, new Rgb24(200, 100, 50));
        // Landmarks of a face 4x smaller than the template, at the image's top-left: most of the crop lies outside.
        PointF[] small = Template.Select(p => new PointF(p.X / 4, p.Y / 4)).ToArray();
        using Image<Rgb24> crop = FaceAligner.Align(image, FaceLandmarks.FromFivePoints(small[0], small[1], small[2], small[3], small[4]));

        Assert.Equal(new Rgb24(200, 100, 50), crop[50, 50]);
        Assert.Equal(new Rgb24(0, 0, 0), crop[111, 111]);
        Assert.Equal(new Rgb24(200, 100, 50), image[19, 19]);
        Assert.Equal(28f, FaceAligner.SourceSize(FaceAligner.EstimateTransform(FaceLandmarks.FromFivePoints(small[0], small[1], small[2], small[3], small[4]))), 3);
    }

    private static Matrix3x2 Similarity(float degrees, float scale, float tx, float ty) =>
        Matrix3x2.CreateRotation(degrees * MathF.PI / 180f) * Matrix3x2.CreateScale(scale) * Matrix3x2.CreateTranslation(tx, ty);

    private static PointF Map(PointF p, Matrix3x2 m)
    {
        Vector2 v = Vector2.Transform(new Vector2(p.X, p.Y), m);
        return new PointF(v.X, v.Y);
    }

    private static void AssertMatrix(Matrix3x2 expected, Matrix3x2 actual, float tolerance)
    {
        float[] e = [expected.M11, expected.M12, expected.M21, expected.M22, expected.M31, expected.M32];
        float[] a = [actual.M11, actual.M12, actual.M21, actual.M22, actual.M31, actual.M32];
        for (int i = 0; i < e.Length; i++)
        {
            Assert.True(MathF.Abs(e[i] - a[i]) <= tolerance, $"element {i}: expected {e[i]}, got {a[i]}");
        }
    }
}
