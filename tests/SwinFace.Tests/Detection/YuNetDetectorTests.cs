using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing;
using SwinFace.Detection;

namespace SwinFace.Tests.Detection;

/// <summary>Loads YuNet once for the class.</summary>
public sealed class YuNetFixture : IDisposable
{
    public YuNetDetector Detector { get; } = YuNetDetector.Create();

    public void Dispose() => Detector.Dispose();
}

/// <summary>YuNet on real photos and on photos made from them: counts, landmarks, coordinates, options, errors.</summary>
public sealed class YuNetDetectorTests(YuNetFixture fixture) : IClassFixture<YuNetFixture>
{
    private static readonly string ThreeFaces = TestData.SharedPhoto("three-faces.jpg");

    public static TheoryData<string, int> Photos() => new()
    {
        { ThreeFaces, 3 },
        { TestData.SharedPhoto("one-face-turned.jpg"), 1 },
        { TestData.Astronaut, 1 },
        { TestData.Labelled("public-domain", "obama_family.jpg"), 4 },
        { TestData.Labelled("public-domain", "biden_7mpx.jpg"), 1 },
    };

    [Theory]
    [MemberData(nameof(Photos))]
    public void Detect_FindsExactlyTheFacesAPersonCounts(string path, int faces)
    {
        using Image<Rgb24> image = Image.Load<Rgb24>(path);
        Assert.Equal(faces, fixture.Detector.Detect(image).Count);
    }

    [Theory]
    [MemberData(nameof(Photos))]
    public void Detect_GivesFivePointsInTheirPlaces(string path, int faces)
    {
        using Image<Rgb24> image = Image.Load<Rgb24>(path);
        IReadOnlyList<FaceDetection> found = fixture.Detector.Detect(image);
        Assert.Equal(faces, found.Count);
        foreach (FaceDetection face in found)
        {
            FaceLandmarks m = face.Landmarks;
            Assert.True(m.HasMouthCorners, "YuNet gives both mouth corners");
            PointF ml = m.MouthLeft!.Value, mr = m.MouthRight!.Value;
            foreach (PointF p in (PointF[])[m.LeftEye, m.RightEye, m.Nose, ml, mr])
            {
                Assert.True(face.Box.Contains(p), $"box {face.Box} misses the point {p}");
            }

            Assert.True(m.LeftEye.X < m.RightEye.X && ml.X < mr.X, "left means the image's left");
            Assert.True(Math.Max(m.LeftEye.Y, m.RightEye.Y) < m.Nose.Y && m.Nose.Y < Math.Min(ml.Y, mr.Y), "eyes above the nose tip, the nose tip above the mouth");
            Assert.Equal((ml.X + mr.X) / 2, m.MouthCenter.X, 3);
            Assert.True(face.Score is >= 0.8f and <= 1f, $"score {face.Score}");
        }
    }

    [Theory]
    [InlineData(160)]
    [InlineData(400)]
    [InlineData(900)]
    [InlineData(1800)]
    public void Detect_FindsOneFaceThatFillsTheFrame(int side)
    {
        // A close-up: the astronaut's face cropped to about 1.2 times its box. The model breaks a face much larger
        // than 192 input pixels into pieces; the coarser passes see it whole.
        using Image<Rgb24> photo = Image.Load<Rgb24>(TestData.Astronaut);
        RectangleF box = Assert.Single(fixture.Detector.Detect(photo)).Box;
        var crop = Rectangle.Round(new RectangleF(box.X - (0.1f * box.Width), box.Y - (0.1f * box.Height), 1.2f * box.Width, 1.2f * box.Height));
        using Image<Rgb24> closeUp = photo.Clone(x => x.Crop(crop).Resize(side, side));

        FaceDetection face = Assert.Single(fixture.Detector.Detect(closeUp));
        Assert.True(face.Box.Width > 0.6f * side, $"box {face.Box}");
    }

    [Fact]
    public void Detect_FindsNothingInAPlainImage()
    {
        using var image = new Image<Rgb24>(640, 480, new Rgb24(128, 128, 128));
        Assert.Empty(fixture.Detector.Detect(image));
    }

    [Fact]
    public void Detect_GivesTheSameFacesInAPhotoWithABlackFrame()
    {
        // The photo (cropped to 639 x 426, multiples of 3) inside a black frame 96 px wide on the left and right:
        // 96 is a multiple of the model's largest stride (32) at full size and at a third, black is what the padding
        // holds, and both stay under the first pass's pixel budget, so every point should move by 96 px. Measured:
        // 0.07 px at most (with one pass alone it is exact; the passes' candidates for a face then differ in the
        // last bits, and another may win the suppression). A padding or offset error moves points by a pixel or more.
        using Image<Rgb24> photo = Image.Load<Rgb24>(TestData.Labelled("public-domain", "obama_family.jpg"));
        photo.Mutate(x => x.Crop(639, 426));
        using var framed = new Image<Rgb24>(639 + 192, 426, new Rgb24(0, 0, 0));
        framed.Mutate(x => x.DrawImage(photo, new Point(96, 0), 1f));
        IReadOnlyList<FaceDetection> first = fixture.Detector.Detect(photo);
        AssertSameFaces(first, fixture.Detector.Detect(framed), p => new PointF(p.X + 96, p.Y), 0.25f);

        // Again after the larger photo, whose pixels the pooled input buffer may still hold: exactly the same.
        Assert.Equal(first.Select(f => f.Box), fixture.Detector.Detect(photo).Select(f => f.Box));
    }

    [Fact]
    public void Detect_MapsTheFacesOfAShrunkPhotoBackToItsPixels()
    {
        // The photo enlarged 3 times by repeating each pixel, and a detector whose pixel budget is the original's:
        // the model sees the original's pixels (averaging 3 x 3 equal pixels), and the points must come back at
        // 3 x + 1, the centres of the enlarged pixels.
        using Image<Rgb24> photo = Image.Load<Rgb24>(ThreeFaces);
        photo.Mutate(x => x.Crop(1023, 1023));
        using Image<Rgb24> large = photo.Clone(x => x.Resize(3 * 1023, 3 * 1023, KnownResamplers.NearestNeighbor));
        using var detector = YuNetDetector.Create(new YuNetOptions { MinInputPixels = 1023 * 1023, MaxInputPixels = 1023 * 1023 });
        AssertSameFaces(detector.Detect(photo), detector.Detect(large), p => new PointF((3 * p.X) + 1, (3 * p.Y) + 1), 0.001f);
    }

    [Theory]
    [InlineData(1, 300_000)]
    [InlineData(300_000, 2)]
    public void Detect_FindsNothingInAPhotoOneOrTwoPixelsThin(int width, int height)
    {
        // The thin photos of the hostile corpus: the padded input stays within the budget, and the model runs.
        using var image = new Image<Rgb24>(width, height, new Rgb24(200, 180, 160));
        Assert.Empty(fixture.Detector.Detect(image));
    }

    [Fact]
    public void Detect_DoesNotModifyTheImage()
    {
        using Image<Rgb24> image = Image.Load<Rgb24>(ThreeFaces);
        using Image<Rgb24> copy = image.Clone();
        fixture.Detector.Detect(image);
        byte[] a = new byte[image.Width * image.Height * 3], b = new byte[a.Length];
        image.CopyPixelDataTo(a);
        copy.CopyPixelDataTo(b);
        Assert.Equal(b, a);
    }

    [Fact]
    public void Detect_GivesTheSameFacesFromManyThreadsAtOnce()
    {
        string[] paths = [ThreeFaces, TestData.SharedPhoto("one-face-turned.jpg"), TestData.Astronaut, TestData.Labelled("public-domain", "obama_family.jpg")];
        Image<Rgb24>[] images = [.. paths.Select(p => Image.Load<Rgb24>(p))];
        try
        {
            IReadOnlyList<FaceDetection>[] serial = [.. images.Select(fixture.Detector.Detect)];
            var parallel = new IReadOnlyList<FaceDetection>[4 * images.Length];
            Parallel.For(0, parallel.Length, new ParallelOptions { MaxDegreeOfParallelism = 4 }, i => parallel[i] = fixture.Detector.Detect(images[i % images.Length]));
            for (int i = 0; i < parallel.Length; i++)
            {
                Assert.Equal(serial[i % images.Length].Select(f => f.Box), parallel[i].Select(f => f.Box));
            }
        }
        finally
        {
            Array.ForEach(images, i => i.Dispose());
        }
    }

    [Fact]
    public void Create_ThrowsWhenTheModelIsMissing()
    {
        var e = Assert.Throws<FileNotFoundException>(() => YuNetDetector.Create(new YuNetOptions { ModelPath = "/nonexistent/yunet.onnx" }));
        Assert.Contains("fetch-yunet.sh", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Create_RejectsAModelOfTheWrongKind()
    {
        // BlazeFace is an ONNX model too, with another input and other outputs.
        string blazeFace = Path.Combine(AppContext.BaseDirectory, "blazeface", BlazeFaceDetector.FullRangeFile);
        var e = Assert.Throws<SwinFaceModelException>(() => YuNetDetector.Create(new YuNetOptions { ModelPath = blazeFace }));
        Assert.Contains("expected one Float input [batch, 3, height, width] (YuNet)", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Create_RejectsAFileThatIsNotAModel()
    {
        string path = Path.Combine(Path.GetTempPath(), $"swinface-test-{Guid.NewGuid():N}.onnx");
        File.WriteAllText(path, "not a model");
        try
        {
            var e = Assert.Throws<SwinFaceModelException>(() => YuNetDetector.Create(new YuNetOptions { ModelPath = path }));
            Assert.Contains("not a valid ONNX model", e.Message, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Create_ValidatesOptions()
    {
        Assert.Equal("ScoreThreshold", Assert.Throws<ArgumentOutOfRangeException>(() => YuNetDetector.Create(new YuNetOptions { ScoreThreshold = 1.5f })).ParamName);
        Assert.Throws<ArgumentOutOfRangeException>(() => YuNetDetector.Create(new YuNetOptions { ScoreThreshold = float.NaN }));
        Assert.Equal("MinFaceSize", Assert.Throws<ArgumentOutOfRangeException>(() => YuNetDetector.Create(new YuNetOptions { MinFaceSize = -1 })).ParamName);
        Assert.Equal("OverlapThreshold", Assert.Throws<ArgumentOutOfRangeException>(() => YuNetDetector.Create(new YuNetOptions { OverlapThreshold = 0 })).ParamName);
        Assert.Throws<ArgumentOutOfRangeException>(() => YuNetDetector.Create(new YuNetOptions { IntraOpThreads = -1 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => YuNetDetector.Create(new YuNetOptions { MaxInputPixels = 1000 }));
        Assert.Throws<ArgumentException>(() => YuNetDetector.Create(new YuNetOptions { ModelPath = " " }));
    }

    [Fact]
    public void MinFaceSize_DropsSmallFaces()
    {
        using Image<Rgb24> image = Image.Load<Rgb24>(TestData.Labelled("public-domain", "obama_family.jpg"));
        using var strict = YuNetDetector.Create(new YuNetOptions { MinFaceSize = 60 });
        IReadOnlyList<FaceDetection> all = fixture.Detector.Detect(image);
        IReadOnlyList<FaceDetection> large = strict.Detect(image);
        Assert.Equal(all.Count(f => f.Box.Width >= 60), large.Count);
        Assert.True(large.Count is > 0 and < 4, $"the test photo has faces on both sides of 60 px: {string.Join(", ", all.Select(f => f.Box.Width))}");
    }

    [Fact]
    public void ScoreThreshold_KeepsOnlyTheSurerFaces()
    {
        using Image<Rgb24> image = Image.Load<Rgb24>(TestData.Labelled("dlib", "2008_004176.jpg"));
        using var lenient = YuNetDetector.Create(new YuNetOptions { ScoreThreshold = 0.3f });
        IReadOnlyList<FaceDetection> all = lenient.Detect(image);
        IReadOnlyList<FaceDetection> sure = fixture.Detector.Detect(image);
        Assert.Equal(all.Count(f => f.Score >= 0.8f), sure.Count);
        Assert.True(all.Count > sure.Count, "the figurines of this photo score under 0.8");
    }

    /// <summary>Each face of <paramref name="b"/> is a face of <paramref name="a"/> moved by <paramref name="map"/>, within <paramref name="tolerance"/> px.</summary>
    private static void AssertSameFaces(IReadOnlyList<FaceDetection> a, IReadOnlyList<FaceDetection> b, Func<PointF, PointF> map, float tolerance)
    {
        Assert.True(a.Count >= 3, $"{a.Count} faces");
        Assert.Equal(a.Count, b.Count);
        float worst = 0;
        for (int i = 0; i < a.Count; i++)
        {
            // Faces come strongest first, and near-equal scores may come in either order.
            FaceDetection match = b.MinBy(f => Distance(f.Landmarks.Nose, map(a[i].Landmarks.Nose)))!;
            FaceLandmarks p = a[i].Landmarks, q = match.Landmarks;
            PointF[] expected = [.. ((PointF[])[a[i].Box.Location, p.LeftEye, p.RightEye, p.Nose, p.MouthLeft!.Value, p.MouthRight!.Value]).Select(map)];
            PointF[] actual = [match.Box.Location, q.LeftEye, q.RightEye, q.Nose, q.MouthLeft!.Value, q.MouthRight!.Value];
            for (int k = 0; k < expected.Length; k++)
            {
                worst = Math.Max(worst, Distance(expected[k], actual[k]));
            }
        }

        Assert.True(worst <= tolerance, $"a point moved {worst:F3} px from where it should be (limit {tolerance})");
    }

    private static float Distance(PointF a, PointF b) => MathF.Sqrt(((a.X - b.X) * (a.X - b.X)) + ((a.Y - b.Y) * (a.Y - b.Y)));
}
