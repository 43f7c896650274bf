using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using SwinFace.Analysis;
using SwinFace.Imaging;

namespace SwinFace.Tests.Imaging;

/// <summary>Photos that decode but are damaged are refused by default, and reported when analysed.</summary>
public sealed class ImageDamageTests(TinyAnalyzerFixture fixture) : IClassFixture<TinyAnalyzerFixture>
{
    private static readonly byte[] Jpeg = File.ReadAllBytes(TestData.SharedPhoto("three-faces.jpg"));

    [Fact]
    public void AnalyzePhoto_RefusesAJpegCutShortByDefault()
    {
        var e = Assert.Throws<SwinFaceImageException>(() => fixture.Analyzer.AnalyzePhoto(Jpeg[..20_000]));
        Assert.Contains("damaged", e.Message, StringComparison.Ordinal);
        Assert.Contains("ends after 20,000 bytes", e.Message, StringComparison.Ordinal);
        Assert.Contains("AnalyzeDamagedPhotos", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AnalyzePhoto_ReportsTheRowsOfAJpegCutShortWhenAllowed()
    {
        using FaceAnalyzer analyzer = FaceAnalyzer.Create(TestData.TinyModel, new FaceAnalyzerOptions { AnalyzeDamagedPhotos = true });

        PhotoAnalysis cut = analyzer.AnalyzePhoto(Jpeg[..20_000], FaceTasks.Identity);
        PhotoAnalysis whole = analyzer.AnalyzePhoto(Jpeg, FaceTasks.Identity);

        Assert.Null(whole.Damage);
        ImageDamage damage = Assert.IsType<ImageDamage>(cut.Damage);
        Assert.Equal(1024, damage.Rows);

        // 20 KB of this 160 KB baseline JPEG hold its top fifth: the count must say so, not "all" or "none".
        Assert.InRange(damage.DecodedRows, 150, 300);
        Assert.Contains($"{damage.DecodedRows:N0} of 1,024 rows", damage.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_ReportsAPngCutInsideItsImageData()
    {
        using Image<Rgb24> image = Image.Load<Rgb24>(TestData.SharedPhoto("three-faces.jpg"));
        using var png = new MemoryStream();
        image.SaveAsPng(png);
        byte[] bytes = png.ToArray();
        var loader = new PhotoLoader(100_000_000, acceptDamaged: true);

        DecodedPhoto cut = loader.Load(new MemoryStream(bytes[..(bytes.Length / 3)]), "cut.png");
        DecodedPhoto lastChunkOnly = loader.Load(new MemoryStream(bytes[..^12]), "no-iend.png");
        using (cut.Image)
        using (lastChunkOnly.Image)
        {
            Assert.Contains("IDAT", cut.Damage!.Message, StringComparison.Ordinal);
            Assert.InRange(cut.Damage.DecodedRows, 1, 1023);

            // Without IEND every row is there: damaged, but all decoded.
            Assert.Contains("IEND", lastChunkOnly.Damage!.Message, StringComparison.Ordinal);
            Assert.Equal(1024, lastChunkOnly.Damage.DecodedRows);
        }

        Assert.Throws<SwinFaceImageException>(() => ImageFile.Load(bytes[..(bytes.Length / 3)]));
    }

    [Fact]
    public void Load_TakesTheFirstFrameOfAnAnimatedWebp()
    {
        byte[] animated = File.ReadAllBytes(Path.Combine(TestData.RepoRoot, "tests", "SwinFace.Fuzz", "seeds", "photo", "animated.webp"));

        using Image<Rgb24> first = ImageFile.Load(animated);

        Assert.Equal((16, 12), (first.Width, first.Height));
    }

    [Theory]
    [InlineData("jpeg")]
    [InlineData("png")]
    [InlineData("gif")]
    [InlineData("webp")]
    [InlineData("bmp")]
    public void FindTruncation_TellsWholeFilesFromCutOnes(string format)
    {
        using Image<Rgb24> image = Image.Load<Rgb24>(TestData.SharedPhoto("three-faces.jpg"));
        using var encoded = new MemoryStream();
        image.Save(encoded, Configuration.Default.ImageFormatsManager.FindFormatByFileExtension(format)!);
        byte[] bytes = encoded.ToArray();

        Assert.Null(ImageIntegrity.FindTruncation(bytes));
        Assert.NotNull(ImageIntegrity.FindTruncation(bytes.AsSpan(0, bytes.Length - 1)));
        Assert.NotNull(ImageIntegrity.FindTruncation(bytes.AsSpan(0, bytes.Length / 2)));
    }
}
