using SwinFace.Imaging;

namespace SwinFace.Tests.Imaging;

/// <summary>The structural checks on files cut inside their headers, where the photo fuzz target found a crash.</summary>
public sealed class ImageIntegrityTests
{
    [Theory]
    [InlineData(6)]
    [InlineData(7)]
    [InlineData(10)]
    [InlineData(12)]
    public void FindTruncation_SaysAGifCutInsideItsHeaderIsCutShort(int length)
    {
        // Found by the photo fuzz target: "GIF89a" and up to 6 more bytes read the screen descriptor's flags past the end.
        byte[] gif = [.. "GIF89a"u8, 0x10, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00];

        string? truncation = ImageIntegrity.FindTruncation(gif.AsSpan(0, length));

        Assert.Equal($"the file ends after {length} bytes, before the GIF's trailer", truncation);
    }

    [Fact]
    public void Load_RefusesAGifSignatureAlone()
    {
        var loader = new PhotoLoader(100_000_000, acceptDamaged: true);

        Assert.Throws<SwinFaceImageException>(() => loader.Load(new MemoryStream("GIF89a"u8.ToArray()), "gif"));
    }
}
