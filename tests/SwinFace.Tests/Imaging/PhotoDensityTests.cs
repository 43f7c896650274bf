using System.Buffers.Binary;
using System.IO.Hashing;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats;
using SixLabors.ImageSharp.Formats.Gif;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.Formats.Webp;
using SixLabors.ImageSharp.PixelFormats;
using SwinFace.Imaging;

namespace SwinFace.Tests.Imaging;

/// <summary>
/// A file that declares more pixels than its bytes can hold is refused before it is decoded (the fuzzer's slow
/// lossy WebP files: 57 to 554 bytes declaring 62 megapixels, decoded in seconds); the densest files an encoder
/// writes still load.
/// </summary>
public sealed class PhotoDensityTests
{
    // The size the fuzzer's slow files declared: 61.9 megapixels, under the default limit of 100.
    private const int Width = 11_747;
    private const int Height = 5_268;

    private static readonly PhotoLoader Loader = new(100_000_000, acceptDamaged: true);

    [Fact]
    public void Load_RefusesTheFuzzersSlowLossyWebp()
    {
        byte[] file = File.ReadAllBytes(Path.Combine(TestData.RepoRoot, "tests", "SwinFace.Fuzz", "regressions", "photo", "lossy-webp-62mp-in-76-bytes.webp"));

        var e = Assert.Throws<SwinFaceImageException>(() => Loader.Load(new MemoryStream(file), "slow.webp"));

        Assert.Equal(
            "slow.webp: 11747 x 5268 pixels in 76 bytes, 814,252 pixels a byte: more than a lossy WebP file can hold (at most 2,400 a byte). The file is cut short or made to be slow to decode; it was not decoded.",
            e.Message);
    }

    [Theory]
    [InlineData("jpeg", "JPEG")]
    [InlineData("png", "PNG")]
    [InlineData("gif", "GIF")]
    [InlineData("webp-lossy", "lossy WebP")]
    [InlineData("webp-lossless", "lossless WebP")]
    public void Load_RefusesATinyFileThatDeclaresManyPixels(string kind, string format)
    {
        byte[] file = Declare(Encode(kind, new Image<Rgb24>(16, 16, new Rgb24(200, 30, 90))), kind, Width, Height);

        var e = Assert.Throws<SwinFaceImageException>(() => Loader.Load(new MemoryStream(file), "tiny"));

        Assert.Contains($"tiny: {Width} x {Height} pixels in {file.Length:N0} bytes", e.Message, StringComparison.Ordinal);
        Assert.Contains($"more than a {format} file can hold", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("jpeg", 4096)]
    [InlineData("png", 4096)]
    [InlineData("gif", 4096)]
    [InlineData("webp-lossy", 2048)]
    [InlineData("webp-lossless", 4096)]
    public void Load_AcceptsTheDensestImagesAnEncoderWrites(string kind, int size)
    {
        // One colour compresses best: each encoder at its strongest setting, as large as a test affords.
        byte[] file = Encode(kind, new Image<Rgb24>(size, size, new Rgb24(0, 0, 0)));

        using Image<Rgb24> image = Loader.Load(new MemoryStream(file), kind).Image;

        Assert.Equal(size, image.Width);
        Assert.Equal(new Rgb24(0, 0, 0), image[size / 2, size / 2]);
    }

    [Fact]
    public void Load_AcceptsTheDensestPngZlibCanWrite()
    {
        // zlib at level 9 on one-bit rows of zeros, as Pillow writes a blank 1-bit image: 8,160 pixels a byte at
        // 11,747 x 5,268, near deflate's ceiling of 8,256 (1,032 bytes out of one).
        const int width = 4096, height = 4096;
        byte[] rows = new byte[height * (1 + (width / 8))];
        using var idat = new MemoryStream();
        using (var zlib = new System.IO.Compression.ZLibStream(idat, System.IO.Compression.CompressionLevel.SmallestSize, leaveOpen: true))
        {
            zlib.Write(rows);
        }

        byte[] header = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(header, width);
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(4), height);
        header[8] = 1; // one bit a pixel, grey
        byte[] file = [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A, .. Chunk("IHDR", header), .. Chunk("IDAT", idat.ToArray()), .. Chunk("IEND", [])];
        Assert.InRange((long)width * height / file.Length, 4_000, 8_256);

        using Image<Rgb24> image = Loader.Load(new MemoryStream(file), "blank.png").Image;

        Assert.Equal(new Rgb24(0, 0, 0), image[width - 1, height - 1]);
    }

    private static byte[] Encode(string kind, Image<Rgb24> image)
    {
        using (image)
        {
            IImageEncoder encoder = kind switch
            {
                "jpeg" => new JpegEncoder { Quality = 75, ColorType = JpegColorType.Luminance },
                "png" => new PngEncoder { BitDepth = PngBitDepth.Bit1, ColorType = PngColorType.Grayscale, CompressionLevel = PngCompressionLevel.BestCompression },
                "gif" => new GifEncoder(),
                "webp-lossy" => new WebpEncoder { FileFormat = WebpFileFormatType.Lossy, Method = WebpEncodingMethod.BestQuality },
                "webp-lossless" => new WebpEncoder { FileFormat = WebpFileFormatType.Lossless, Method = WebpEncodingMethod.BestQuality },
                _ => throw new ArgumentOutOfRangeException(nameof(kind)),
            };
            using var stream = new MemoryStream();
            image.Save(stream, encoder);
            return stream.ToArray();
        }
    }

    /// <summary>The file with its header changed to declare <paramref name="width"/> x <paramref name="height"/> pixels.</summary>
    private static byte[] Declare(byte[] file, string kind, int width, int height)
    {
        byte[] d = (byte[])file.Clone();
        switch (kind)
        {
            case "jpeg":
                int sof = d.AsSpan().IndexOf([(byte)0xFF, (byte)0xC0]);
                BinaryPrimitives.WriteUInt16BigEndian(d.AsSpan(sof + 5), (ushort)height);
                BinaryPrimitives.WriteUInt16BigEndian(d.AsSpan(sof + 7), (ushort)width);
                break;
            case "png":
                BinaryPrimitives.WriteInt32BigEndian(d.AsSpan(16), width);
                BinaryPrimitives.WriteInt32BigEndian(d.AsSpan(20), height);
                BinaryPrimitives.WriteUInt32BigEndian(d.AsSpan(29), Crc32.HashToUInt32(d.AsSpan(12, 17)));
                break;
            case "gif":
                BinaryPrimitives.WriteUInt16LittleEndian(d.AsSpan(6), (ushort)width);
                BinaryPrimitives.WriteUInt16LittleEndian(d.AsSpan(8), (ushort)height);
                int descriptor = GifImageDescriptor(d);
                BinaryPrimitives.WriteUInt16LittleEndian(d.AsSpan(descriptor + 5), (ushort)width);
                BinaryPrimitives.WriteUInt16LittleEndian(d.AsSpan(descriptor + 7), (ushort)height);
                break;
            case "webp-lossy":
                int start = d.AsSpan().IndexOf([(byte)0x9D, (byte)0x01, (byte)0x2A]);
                BinaryPrimitives.WriteUInt16LittleEndian(d.AsSpan(start + 3), (ushort)width);
                BinaryPrimitives.WriteUInt16LittleEndian(d.AsSpan(start + 5), (ushort)height);
                break;
            case "webp-lossless":
                int signature = d.AsSpan().IndexOf("VP8L"u8) + 8;
                uint bits = BinaryPrimitives.ReadUInt32LittleEndian(d.AsSpan(signature + 1));
                bits = (bits & ~((1u << 28) - 1)) | (uint)(width - 1) | ((uint)(height - 1) << 14);
                BinaryPrimitives.WriteUInt32LittleEndian(d.AsSpan(signature + 1), bits);
                break;
        }

        return d;
    }

    /// <summary>Where the first image descriptor starts: after the global colour table and any extensions.</summary>
    private static int GifImageDescriptor(byte[] gif)
    {
        int at = 13 + ((gif[10] & 0x80) != 0 ? 3 << ((gif[10] & 7) + 1) : 0);
        while (gif[at] == 0x21)
        {
            at += 2;
            while (gif[at] != 0)
            {
                at += gif[at] + 1;
            }

            at++;
        }

        Assert.Equal(0x2C, gif[at]);
        return at;
    }

    private static byte[] Chunk(string type, byte[] data)
    {
        byte[] chunk = new byte[12 + data.Length];
        BinaryPrimitives.WriteInt32BigEndian(chunk, data.Length);
        System.Text.Encoding.ASCII.GetBytes(type, chunk.AsSpan(4));
        data.CopyTo(chunk, 8);
        BinaryPrimitives.WriteUInt32BigEndian(chunk.AsSpan(8 + data.Length), Crc32.HashToUInt32(chunk.AsSpan(4, 4 + data.Length)));
        return chunk;
    }
}
