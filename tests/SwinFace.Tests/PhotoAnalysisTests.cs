using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.Metadata.Profiles.Exif;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing;
using SwinFace.Analysis;
using SwinFace.Detection;
using SwinFace.Imaging;

namespace SwinFace.Tests;

/// <summary>Loads the tiny model (with the default detector, YuNet) once for the class.</summary>
public sealed class TinyAnalyzerFixture : IDisposable
{
    public FaceAnalyzer Analyzer { get; } = FaceAnalyzer.Create(TestData.TinyModel);

    public void Dispose() => Analyzer.Dispose();
}

/// <summary>Photos in: decoding, detection, alignment and analysis of every face.</summary>
public sealed class PhotoAnalysisTests(TinyAnalyzerFixture fixture) : IClassFixture<TinyAnalyzerFixture>
{
    private static readonly string ThreeFaces = TestData.SharedPhoto("three-faces.jpg");

    [Fact]
    public void AnalyzePhoto_AnalysesEveryFaceAsItsAlignedCrop()
    {
        PhotoAnalysis photo = fixture.Analyzer.AnalyzePhoto(ThreeFaces, includeAlignedFaces: true);

        Assert.Equal((1024, 1024), (photo.Width, photo.Height));
        Assert.Equal(3, photo.Faces.Count);
        foreach (PhotoFace face in photo.Faces)
        {
            Assert.True(face.SourceSize > 112, $"these faces are large: {face.SourceSize}");
            using Image<Rgb24> crop = face.ToAlignedImage()!;
            FaceAnalysis alone = fixture.Analyzer.Analyze(crop);
            Assert.True(System.Numerics.Tensors.TensorPrimitives.Dot(alone.Embedding!, face.Analysis.Embedding!) > 0.99999f);
            Assert.Equal(alone.Age!.Value, face.Analysis.Age!.Value, 4);
        }
    }

    [Fact]
    public async Task AnalyzePhotoAsync_AgreesWithAnalyzePhoto()
    {
        PhotoAnalysis expected = fixture.Analyzer.AnalyzePhoto(ThreeFaces, FaceTasks.Identity | FaceTasks.Age, includeAlignedFaces: true);
        await using FileStream stream = File.OpenRead(ThreeFaces);
        PhotoAnalysis actual = await fixture.Analyzer.AnalyzePhotoAsync(stream, new PhotoAnalysisOptions { Tasks = FaceTasks.Identity | FaceTasks.Age, IncludeAlignedFaces = true });

        Assert.Equal(expected.Faces.Count, actual.Faces.Count);
        Assert.Equal(0, actual.SkippedFaces);
        for (int i = 0; i < expected.Faces.Count; i++)
        {
            Assert.Equal(Where(expected.Faces[i]), Where(actual.Faces[i]));
            Assert.Equal(expected.Faces[i].AlignedFace, actual.Faces[i].AlignedFace);
            Assert.Equal(expected.Faces[i].Analysis.Embedding, actual.Faces[i].Analysis.Embedding);
            Assert.Null(actual.Faces[i].Analysis.Attributes);
        }
    }

    [Fact]
    public async Task AnalyzePhotoAsync_KeepsTheStrongestMaxFacesAndCountsTheRest()
    {
        PhotoAnalysis all = fixture.Analyzer.AnalyzePhoto(ThreeFaces, FaceTasks.Identity);
        using Image<Rgb24> image = ImageFile.Load(ThreeFaces);
        PhotoAnalysis two = await fixture.Analyzer.AnalyzePhotoAsync(image, new PhotoAnalysisOptions { Tasks = FaceTasks.Identity, MaxFaces = 2 });
        Assert.Equal(all.Faces.Take(2).Select(Where), two.Faces.Select(Where));
        Assert.Equal(1, two.SkippedFaces);

        float smallest = all.Faces.Min(f => f.Detection.Box.Width);
        PhotoAnalysis large = await fixture.Analyzer.AnalyzePhotoAsync(image, new PhotoAnalysisOptions { Tasks = FaceTasks.Identity, MinFaceSize = smallest + 0.01f });
        Assert.Equal(all.Faces.Count - 1, large.Faces.Count);
        Assert.Equal(1, large.SkippedFaces);
        Assert.DoesNotContain(large.Faces, f => f.Detection.Box.Width < smallest + 0.01f);
    }

    private static (RectangleF Box, float Score, PointF LeftEye, PointF Nose) Where(PhotoFace face) =>
        (face.Detection.Box, face.Detection.Score, face.Detection.Landmarks.LeftEye, face.Detection.Landmarks.Nose);

    [Fact]
    public async Task AnalyzePhotoAsync_ThrowsForBadOptions()
    {
        using var image = new Image<Rgb24>(64, 64);
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => fixture.Analyzer.AnalyzePhotoAsync(image, new PhotoAnalysisOptions { MaxFaces = 0 }));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => fixture.Analyzer.AnalyzePhotoAsync(image, new PhotoAnalysisOptions { MinFaceSize = float.NaN }));
        await Assert.ThrowsAsync<ArgumentException>(() => fixture.Analyzer.AnalyzePhotoAsync(image, new PhotoAnalysisOptions { Tasks = FaceTasks.None }));
        await Assert.ThrowsAsync<SwinFaceImageException>(() => fixture.Analyzer.AnalyzePhotoAsync(new MemoryStream("not an image"u8.ToArray())));
    }

    [Fact]
    public void AnalyzePhoto_FindsFacesWithYuNetAndAlignsThemByFivePoints()
    {
        PhotoAnalysis photo = fixture.Analyzer.AnalyzePhoto(TestData.Labelled("public-domain", "obama_family.jpg"), FaceTasks.Identity);

        Assert.Equal(4, photo.Faces.Count);
        Assert.All(photo.Faces, f => Assert.True(f.Detection.Landmarks.HasMouthCorners && f.AlignmentPoints == 5));
        Assert.All(photo.Faces, f => Assert.Null(f.Detection.Landmarks.LeftEar));
    }

    [Fact]
    public void AnalyzePhoto_WithBlazeFaceOptionsUsesBlazeFaceAndFourPoints()
    {
        using FaceAnalyzer analyzer = FaceAnalyzer.Create(TestData.TinyModel, new FaceAnalyzerOptions { BlazeFace = new BlazeFaceOptions() });
        PhotoAnalysis photo = analyzer.AnalyzePhoto(ThreeFaces, FaceTasks.Identity);

        Assert.Equal(3, photo.Faces.Count);
        Assert.All(photo.Faces, f => Assert.True(!f.Detection.Landmarks.HasMouthCorners && f.AlignmentPoints == 4));
        Assert.All(photo.Faces, f => Assert.NotNull(f.Detection.Landmarks.LeftEar));
    }

    [Fact]
    public void Create_RefusesMoreThanOneChoiceOfDetector()
    {
        using var detector = YuNetDetector.Create();
        var e = Assert.Throws<ArgumentException>(() => FaceAnalyzer.Create(TestData.TinyModel, new FaceAnalyzerOptions { Detector = detector, YuNet = new YuNetOptions() }));
        Assert.Contains("at most one of Detector, YuNet and BlazeFace", e.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => FaceAnalyzer.Create(TestData.TinyModel, new FaceAnalyzerOptions { YuNet = new YuNetOptions(), BlazeFace = new BlazeFaceOptions() }));
    }

    [Fact]
    public void Create_PassesTheYuNetOptionsToTheDefaultDetector()
    {
        using FaceAnalyzer analyzer = FaceAnalyzer.Create(TestData.TinyModel, new FaceAnalyzerOptions { YuNet = new YuNetOptions { MinFaceSize = 60 } });
        PhotoAnalysis photo = analyzer.AnalyzePhoto(TestData.Labelled("public-domain", "obama_family.jpg"), FaceTasks.Identity);
        Assert.All(photo.Faces, f => Assert.True(f.Detection.Box.Width >= 60));
        Assert.InRange(photo.Faces.Count, 1, 3);
        Assert.Throws<FileNotFoundException>(() => FaceAnalyzer.Create(TestData.TinyModel, new FaceAnalyzerOptions { YuNet = new YuNetOptions { ModelPath = "/nonexistent.onnx" } }));
    }

    [Fact]
    public void AnalyzePhotos_BatchesFacesAcrossPhotosAndKeepsOrderAndErrors()
    {
        string missing = "/nonexistent/photo.jpg";
        string corrupt = Path.Combine(Path.GetTempPath(), $"swinface-test-{Guid.NewGuid():N}.jpg");
        File.WriteAllBytes(corrupt, "not a jpeg"u8.ToArray());
        try
        {
            string[] paths = [TestData.Astronaut, ThreeFaces, missing, TestData.SharedPhoto("one-face-turned.jpg"), corrupt, TestData.Astronaut];
            using FaceAnalyzer analyzer = FaceAnalyzer.Create(TestData.TinyModel, new FaceAnalyzerOptions { MaxBatchSize = 8 });
            int before = analyzer.BatchesRun;
            List<PhotoResult> results = analyzer.AnalyzePhotos(paths, FaceTasks.Identity).ToList();

            Assert.Equal(1, analyzer.BatchesRun - before); // 6 faces from 4 readable photos: one model run
            Assert.Equal(paths, results.Select(r => r.Path));
            Assert.IsType<FileNotFoundException>(results[2].Error);
            Assert.IsType<SwinFaceImageException>(results[4].Error);
            Assert.Null(results[2].Analysis);
            Assert.Equal(new[] { 1, 3, 1, 1 }, results.Where(r => r.Error is null).Select(r => r.Analysis!.Faces.Count));
            PhotoAnalysis alone = analyzer.AnalyzePhoto(ThreeFaces, FaceTasks.Identity);
            for (int i = 0; i < 3; i++)
            {
                Assert.Equal(alone.Faces[i].Detection.Box, results[1].Analysis!.Faces[i].Detection.Box);
                Assert.True(System.Numerics.Tensors.TensorPrimitives.Dot(alone.Faces[i].Analysis.Embedding!, results[1].Analysis!.Faces[i].Analysis.Embedding!) > 0.99999f);
            }
        }
        finally
        {
            File.Delete(corrupt);
        }
    }

    [Fact]
    public void AnalyzePhoto_PathStreamBytesAndImageAgree()
    {
        byte[] bytes = File.ReadAllBytes(ThreeFaces);
        using Image<Rgb24> image = ImageFile.Load(ThreeFaces);
        PhotoAnalysis a = fixture.Analyzer.AnalyzePhoto(ThreeFaces, FaceTasks.Identity);
        PhotoAnalysis b = fixture.Analyzer.AnalyzePhoto(new MemoryStream(bytes), FaceTasks.Identity);
        PhotoAnalysis c = fixture.Analyzer.AnalyzePhoto(bytes, FaceTasks.Identity);
        PhotoAnalysis d = fixture.Analyzer.AnalyzePhoto(image, FaceTasks.Identity);
        foreach (PhotoAnalysis other in new[] { b, c, d })
        {
            Assert.Equal(a.Faces.Count, other.Faces.Count);
            Assert.Equal(a.Faces[0].Detection.Box, other.Faces[0].Detection.Box);
            Assert.Equal(a.Faces[0].Analysis.Embedding, other.Faces[0].Analysis.Embedding);
        }

        Assert.Null(a.Faces[0].AlignedFace);
        Assert.Null(a.Faces[0].Analysis.Age);
    }

    [Theory]
    [InlineData(ExifOrientationMode.RightTop)]
    [InlineData(ExifOrientationMode.BottomRight)]
    [InlineData(ExifOrientationMode.LeftBottom)]
    [InlineData(ExifOrientationMode.TopRight)]
    public void AnalyzePhoto_AppliesExifOrientation(ushort orientation)
    {
        PhotoAnalysis upright = fixture.Analyzer.AnalyzePhoto(ThreeFaces, FaceTasks.Age);

        // Store the pixels turned the other way and an EXIF tag that says how to turn them back.
        using Image<Rgb24> stored = Image.Load<Rgb24>(ThreeFaces);
        stored.Mutate(x => x.AutoOrient());
        stored.Mutate(x => Undo(x, orientation));
        stored.Metadata.ExifProfile = new ExifProfile();
        stored.Metadata.ExifProfile.SetValue(ExifTag.Orientation, orientation);
        using var encoded = new MemoryStream();
        stored.SaveAsPng(encoded);
        encoded.Position = 0;

        PhotoAnalysis turned = fixture.Analyzer.AnalyzePhoto(encoded, FaceTasks.Age);

        Assert.Equal((upright.Width, upright.Height), (turned.Width, turned.Height));
        Assert.Equal(upright.Faces.Count, turned.Faces.Count);
        foreach (PhotoFace face in upright.Faces)
        {
            Assert.Contains(turned.Faces, f => MathF.Abs(f.Detection.Box.X - face.Detection.Box.X) < 4 && MathF.Abs(f.Detection.Box.Y - face.Detection.Box.Y) < 4);
        }
    }

    public static TheoryData<string> Variants() => ["gray8", "gray16", "rgb48", "palette", "alpha", "cmyk"];

    [Theory]
    [MemberData(nameof(Variants))]
    public void AnalyzePhoto_ReadsEveryPixelFormat(string variant)
    {
        byte[] bytes = Encode(variant);
        PhotoAnalysis photo = fixture.Analyzer.AnalyzePhoto(bytes, FaceTasks.Identity);
        Assert.Equal(3, photo.Faces.Count);
    }

    [Fact]
    public void AnalyzePhoto_UsesTheCallersDetectorAndLandmarks()
    {
        // A five-point detector of the caller's that "finds" one face whose landmarks are the template,
        // shifted by (20, 10): the aligned crop must then be the photo's pixels from (20, 10) on.
        var detector = new FixedDetector(FaceLandmarks.FromFivePoints(
            Shift(0), Shift(1), Shift(2), Shift(3), Shift(4)));
        using FaceAnalyzer analyzer = FaceAnalyzer.Create(TestData.TinyModel, new FaceAnalyzerOptions { Detector = detector });
        using Image<Rgb24> photo = Image.Load<Rgb24>(ThreeFaces);

        PhotoFace face = Assert.Single(analyzer.AnalyzePhoto(photo, includeAlignedFaces: true).Faces);

        using Image<Rgb24> crop = face.ToAlignedImage()!;
        Assert.Equal(photo[20, 10], crop[0, 0]);
        Assert.Equal(photo[20 + 100, 10 + 50], crop[100, 50]);
        Assert.Equal(112f, face.SourceSize, 3);
        Assert.Equal(1, detector.Calls);

        static PointF Shift(int i) => new(SwinFace.Alignment.FaceAligner.ArcFaceTemplate[i].X + 20, SwinFace.Alignment.FaceAligner.ArcFaceTemplate[i].Y + 10);
    }

    [Fact]
    public void AnalyzePhoto_ReturnsNoFacesForAnEmptyPhoto()
    {
        using var blank = new Image<Rgb24>(300, 200, new Rgb24(90, 120, 200));
        using var png = new MemoryStream();
        blank.SaveAsPng(png);
        PhotoAnalysis photo = fixture.Analyzer.AnalyzePhoto(png.ToArray());
        Assert.Empty(photo.Faces);
        Assert.Equal((300, 200), (photo.Width, photo.Height));
    }

    [Fact]
    public void AnalyzePhoto_ThrowsAnImageErrorForDataThatIsNotAnImage()
    {
        var e = Assert.Throws<SwinFaceImageException>(() => fixture.Analyzer.AnalyzePhoto("not an image at all"u8.ToArray()));
        Assert.Contains("not an image in a supported format", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AnalyzePhoto_ThrowsAnImageErrorForACorruptFile()
    {
        // A PNG cut off after its header: the signature and size are fine, the pixel data is gone.
        byte[] png = Encode("gray8");
        byte[] truncated = png[..64];
        var e = Assert.Throws<SwinFaceImageException>(() => fixture.Analyzer.AnalyzePhoto(truncated));
        Assert.Contains("image bytes: the image data is corrupt or unsupported", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AnalyzePhoto_RefusesAHugeImageBeforeDecodingIt()
    {
        // A PNG header that claims 60000 x 60000 pixels, with no pixel data behind it.
        using var png = new MemoryStream();
        png.Write([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]);
        byte[] ihdr = [0, 0, 0xEA, 0x60, 0, 0, 0xEA, 0x60, 8, 2, 0, 0, 0];
        WriteChunk(png, "IHDR", ihdr);
        WriteChunk(png, "IEND", []);
        var e = Assert.Throws<SwinFaceImageException>(() => fixture.Analyzer.AnalyzePhoto(png.ToArray()));
        Assert.Contains("60000 x 60000 pixels is over the limit", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AnalyzePhoto_ThrowsFileNotFoundForAMissingFile()
    {
        Assert.Throws<FileNotFoundException>(() => fixture.Analyzer.AnalyzePhoto("/nonexistent/photo.jpg"));
    }

    [Fact]
    public void AnalyzePhoto_DoesNotModifyTheCallersImage()
    {
        using Image<Rgb24> image = Image.Load<Rgb24>(ThreeFaces);
        using Image<Rgb24> copy = image.Clone();
        fixture.Analyzer.AnalyzePhoto(image, includeAlignedFaces: true);
        byte[] a = new byte[image.Width * image.Height * 3], b = new byte[a.Length];
        image.CopyPixelDataTo(a);
        copy.CopyPixelDataTo(b);
        Assert.Equal(b, a);
    }

    private static void Undo(IImageProcessingContext x, ushort orientation)
    {
        switch (orientation)
        {
            case ExifOrientationMode.RightTop: x.Rotate(RotateMode.Rotate270); break;
            case ExifOrientationMode.BottomRight: x.Rotate(RotateMode.Rotate180); break;
            case ExifOrientationMode.LeftBottom: x.Rotate(RotateMode.Rotate90); break;
            case ExifOrientationMode.TopRight: x.Flip(FlipMode.Horizontal); break;
            default: throw new ArgumentOutOfRangeException(nameof(orientation));
        }
    }

    private static byte[] Encode(string variant)
    {
        if (variant == "cmyk")
        {
            return File.ReadAllBytes(TestData.TestImage("three-faces-cmyk.jpg"));
        }

        using Image<Rgba32> image = Image.Load<Rgba32>(ThreeFaces);
        var encoder = new PngEncoder();
        switch (variant)
        {
            case "gray8": encoder = new PngEncoder { ColorType = PngColorType.Grayscale, BitDepth = PngBitDepth.Bit8 }; break;
            case "gray16": encoder = new PngEncoder { ColorType = PngColorType.Grayscale, BitDepth = PngBitDepth.Bit16 }; break;
            case "rgb48": encoder = new PngEncoder { ColorType = PngColorType.Rgb, BitDepth = PngBitDepth.Bit16 }; break;
            case "palette": encoder = new PngEncoder { ColorType = PngColorType.Palette }; break;
            case "alpha":
                // Transparent surroundings: only the middle band stays opaque.
                image.ProcessPixelRows(rows =>
                {
                    for (int y = 0; y < rows.Height; y++)
                    {
                        Span<Rgba32> row = rows.GetRowSpan(y);
                        for (int x = 0; x < row.Length; x++)
                        {
                            if (y < 150 || y > 850)
                            {
                                row[x] = new Rgba32(0, 0, 0, 0);
                            }
                        }
                    }
                });
                encoder = new PngEncoder { ColorType = PngColorType.RgbWithAlpha };
                break;
            default: throw new ArgumentOutOfRangeException(nameof(variant));
        }

        using var ms = new MemoryStream();
        image.SaveAsPng(ms, encoder);
        return ms.ToArray();
    }

    private static void WriteChunk(Stream s, string type, byte[] data)
    {
        byte[] kind = System.Text.Encoding.ASCII.GetBytes(type);
        s.Write([(byte)(data.Length >> 24), (byte)(data.Length >> 16), (byte)(data.Length >> 8), (byte)data.Length]);
        s.Write(kind);
        s.Write(data);
        uint crc = Crc32([.. kind, .. data]);
        s.Write([(byte)(crc >> 24), (byte)(crc >> 16), (byte)(crc >> 8), (byte)crc]);
    }

    private static uint Crc32(byte[] bytes)
    {
        uint crc = 0xFFFFFFFF;
        foreach (byte b in bytes)
        {
            crc ^= b;
            for (int k = 0; k < 8; k++)
            {
                crc = (crc & 1) != 0 ? (crc >> 1) ^ 0xEDB88320 : crc >> 1;
            }
        }

        return ~crc;
    }

    private sealed class FixedDetector(FaceLandmarks landmarks) : IFaceDetector
    {
        public int Calls { get; private set; }

        public IReadOnlyList<FaceDetection> Detect(Image<Rgb24> image)
        {
            Calls++;
            return [new FaceDetection(new RectangleF(20, 10, 112, 112), landmarks, 1f)];
        }
    }
}
