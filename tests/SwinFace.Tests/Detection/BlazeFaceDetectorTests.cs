using System.Numerics;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing;
using SwinFace.Alignment;
using SwinFace.Detection;

namespace SwinFace.Tests.Detection;

/// <summary>Loads BlazeFace once for the class.</summary>
public sealed class BlazeFaceFixture : IDisposable
{
    public BlazeFaceDetector Detector { get; } = BlazeFaceDetector.Create();

    public void Dispose() => Detector.Dispose();
}

/// <summary>BlazeFace on real photos, whose faces a person counted (shared/testdata/photos/README.md).</summary>
public sealed class BlazeFaceDetectorTests(BlazeFaceFixture fixture) : IClassFixture<BlazeFaceFixture>
{
    public static TheoryData<string, int> Photos() => new()
    {
        { TestData.SharedPhoto("three-faces.jpg"), 3 },
        { TestData.SharedPhoto("one-face-turned.jpg"), 1 },
        { TestData.Astronaut, 1 },
    };

    [Theory]
    [MemberData(nameof(Photos))]
    public void Detect_FindsExactlyTheFacesAPersonCounts(string path, int faces)
    {
        using Image<Rgb24> image = Image.Load<Rgb24>(path);
        Assert.Equal(faces, fixture.Detector.Detect(image).Count);
    }

    /// <summary>
    /// Photos with how far, at most, an eye of an aligned crop may land from its template point. Frontal faces:
    /// 3 px. The head turned about 30 degrees: 7 px (measured 6.2 and 3.2), because turning narrows the eyes
    /// and shifts the nose tip, so no similarity maps all four keypoints onto the frontal template.
    /// </summary>
    public static TheoryData<string, int, float> Alignments() => new()
    {
        { TestData.SharedPhoto("three-faces.jpg"), 3, 3f },
        { TestData.SharedPhoto("one-face-turned.jpg"), 1, 7f },
        { TestData.Astronaut, 1, 3f },
    };

    [Theory]
    [MemberData(nameof(Alignments))]
    public void Detect_BoxesContainTheEyesAndTheCropsPutThemOnTheTemplate(string path, int faces, float eyeTolerance)
    {
        using Image<Rgb24> image = Image.Load<Rgb24>(path);
        IReadOnlyList<FaceDetection> found = fixture.Detector.Detect(image);
        Assert.Equal(faces, found.Count);
        foreach (FaceDetection face in found)
        {
            Assert.True(face.Box.Contains(face.Landmarks.LeftEye) && face.Box.Contains(face.Landmarks.RightEye), $"box {face.Box} misses an eye");
            Assert.True(face.Landmarks.LeftEye.X < face.Landmarks.RightEye.X, "the left eye must be on the image's left");
            Assert.True(face.Score is > 0.6f and <= 1f);

            Matrix3x2 m = FaceAligner.EstimateTransform(face.Landmarks);
            AssertNear(FaceAligner.ArcFaceTemplate[0], face.Landmarks.LeftEye, m, eyeTolerance);
            AssertNear(FaceAligner.ArcFaceTemplate[1], face.Landmarks.RightEye, m, eyeTolerance);
        }
    }

    [Fact]
    public void Detect_FindsAFaceThatFillsTheFrame()
    {
        // A close-up: the astronaut's face cropped to about 1.3 times its box, so it fills most of the image.
        using Image<Rgb24> photo = Image.Load<Rgb24>(TestData.Astronaut);
        RectangleF box = Assert.Single(fixture.Detector.Detect(photo)).Box;
        var crop = Rectangle.Round(new RectangleF(box.X - (0.15f * box.Width), box.Y - (0.15f * box.Height), 1.3f * box.Width, 1.3f * box.Height));
        using Image<Rgb24> closeUp = photo.Clone(x => x.Crop(crop).Resize(400, 400));

        FaceDetection face = Assert.Single(fixture.Detector.Detect(closeUp));
        Assert.True(face.Box.Width > 0.6f * 400, $"box {face.Box}");
    }

    [Fact]
    public void Detect_FindsNothingInAPlainImage()
    {
        using var image = new Image<Rgb24>(640, 480, new Rgb24(128, 128, 128));
        Assert.Empty(fixture.Detector.Detect(image));
    }

    [Fact]
    public void Detect_GivesTheSameFacesInALetterboxedWidePhoto()
    {
        using Image<Rgb24> photo = Image.Load<Rgb24>(TestData.SharedPhoto("three-faces.jpg"));
        using var wide = new Image<Rgb24>(1600, 1024, new Rgb24(20, 20, 20));
        wide.Mutate(x => x.DrawImage(photo, new Point(300, 0), 1f));
        IReadOnlyList<FaceDetection> a = fixture.Detector.Detect(photo);
        IReadOnlyList<FaceDetection> b = fixture.Detector.Detect(wide);
        Assert.Equal(a.Count, b.Count);
        foreach (FaceDetection face in a)
        {
            // The wide photo reaches the model at a smaller scale, so keypoints move by a few pixels (7 px
            // measured for a 157 px face); a letterbox mapping error would move them by tens or hundreds.
            var moved = new PointF(face.Landmarks.LeftEye.X + 300, face.Landmarks.LeftEye.Y);
            Assert.Contains(b, f => Distance(f.Landmarks.LeftEye, moved) < 0.1f * face.Box.Width);
        }
    }

    [Fact]
    public void Create_ThrowsWhenTheModelsAreMissing()
    {
        var e = Assert.Throws<FileNotFoundException>(() => BlazeFaceDetector.Create(new BlazeFaceOptions { ModelDirectory = "/nonexistent" }));
        Assert.Contains("fetch-blazeface.sh", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Create_RejectsAModelOfTheWrongKind()
    {
        string dir = Directory.CreateTempSubdirectory().FullName;
        try
        {
            // The full-range model under the short-range name: its input is 256, not 128.
            string source = Path.Combine(AppContext.BaseDirectory, "blazeface", BlazeFaceDetector.FullRangeFile);
            File.Copy(source, Path.Combine(dir, BlazeFaceDetector.ShortRangeFile));
            var e = Assert.Throws<SwinFaceModelException>(() => BlazeFaceDetector.Create(new BlazeFaceOptions { ModelDirectory = dir, Models = BlazeFaceModels.ShortRange }));
            Assert.Contains("expected one Float input [1, 128, 128, 3]", e.Message, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    [Fact]
    public void Create_ValidatesOptions()
    {
        Assert.Equal("ScoreThreshold", Assert.Throws<ArgumentOutOfRangeException>(() => BlazeFaceDetector.Create(new BlazeFaceOptions { ScoreThreshold = 1.5f })).ParamName);
        Assert.Equal("MinFaceSize", Assert.Throws<ArgumentOutOfRangeException>(() => BlazeFaceDetector.Create(new BlazeFaceOptions { MinFaceSize = -1 })).ParamName);
        Assert.Equal("OverlapThreshold", Assert.Throws<ArgumentOutOfRangeException>(() => BlazeFaceDetector.Create(new BlazeFaceOptions { OverlapThreshold = 0 })).ParamName);
        Assert.Throws<ArgumentOutOfRangeException>(() => BlazeFaceDetector.Create(new BlazeFaceOptions { Models = 0 }));
    }

    [Fact]
    public void MinFaceSize_DropsSmallFaces()
    {
        using Image<Rgb24> image = Image.Load<Rgb24>(TestData.SharedPhoto("three-faces.jpg"));
        using var strict = BlazeFaceDetector.Create(new BlazeFaceOptions { MinFaceSize = 150 });
        IReadOnlyList<FaceDetection> all = fixture.Detector.Detect(image);
        IReadOnlyList<FaceDetection> large = strict.Detect(image);
        Assert.Equal(all.Count(f => f.Box.Width >= 150), large.Count);
        Assert.True(large.Count < all.Count, "the test photo has a face under 150 px");
    }

    private static void AssertNear(PointF target, PointF point, Matrix3x2 m, float tolerance)
    {
        Vector2 v = Vector2.Transform(new Vector2(point.X, point.Y), m);
        float d = Distance(new PointF(v.X, v.Y), target);
        Assert.True(d <= tolerance, $"keypoint lands {d:F2} px from the template (limit {tolerance})");
    }

    private static float Distance(PointF a, PointF b) => MathF.Sqrt(((a.X - b.X) * (a.X - b.X)) + ((a.Y - b.Y) * (a.Y - b.Y)));
}
