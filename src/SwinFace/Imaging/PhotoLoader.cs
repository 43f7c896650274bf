using System.Globalization;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Gif;
using SixLabors.ImageSharp.Formats.Tiff;
using SixLabors.ImageSharp.Memory;
using SixLabors.ImageSharp.Metadata;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing;

namespace SwinFace.Imaging;

/// <summary>A decoded photo, and what was wrong with its file if it was damaged but decodable.</summary>
internal sealed record DecodedPhoto(Image<Rgb24> Image, ImageDamage? Damage);

/// <summary>
/// Decodes photos safely: dimensions are checked from the header before any pixel is decoded (against the
/// limit, and against what the file's bytes can hold, <see cref="ImageIntegrity.DensityLimit"/>), the
/// decoder's allocations are capped, only the first frame of an animation (GIF, WebP) or the first page of
/// a TIFF is decoded, EXIF orientation is
/// applied, and transparency is flattened onto white. Grayscale, palette, 16-bit and CMYK images all come
/// out as 8-bit RGB. JPEGs go through libjpeg-turbo when it is installed (<see cref="TurboJpeg"/>), so
/// their pixels equal OpenCV's. A file that decodes but is damaged (cut short, or with data the decoder
/// skipped) is refused unless <c>acceptDamaged</c>; then its damage comes with it.
/// </summary>
/// <remarks>
/// Every exception a decoder throws on the file's bytes becomes a <see cref="SwinFaceImageException"/>:
/// the decoders are third-party code reading hostile input, and their bugs on such input mean "unreadable".
/// </remarks>
internal sealed class PhotoLoader(long maxPixels, bool acceptDamaged)
{
    /// <summary>The loader of <see cref="ImageFile"/>: the default limit, damaged files refused.</summary>
    public static readonly PhotoLoader Default = new(100_000_000, acceptDamaged: false);

    private readonly Configuration _config = Decoding(maxPixels);

    /// <summary>Gets the most pixels accepted.</summary>
    public long MaxPixels => maxPixels;

    /// <summary>Decodes a photo from a seekable stream.</summary>
    /// <param name="stream">The encoded image; read from its current position to its end.</param>
    /// <param name="name">How to name the image in error messages.</param>
    /// <exception cref="SwinFaceImageException">The image is not readable, is corrupt, is too large, or is damaged and damage is refused.</exception>
    public DecodedPhoto Load(Stream stream, string name)
    {
        byte[] data = ReadAll(stream, name);
        string? truncation = ImageIntegrity.FindTruncation(data);
        data = ImageIntegrity.FirstWebpFrame(data) ?? data;
        IImageInfo? info;
        try
        {
            info = Image.Identify(_config, new MemoryStream(data, writable: false));
        }
        catch (Exception e)
        {
            throw new SwinFaceImageException($"{name}: cannot read the image header ({Describe(e)}).", e);
        }

        if (info is null)
        {
            throw new SwinFaceImageException($"{name}: not an image in a supported format (JPEG, PNG, BMP, GIF, TIFF, TGA, WebP, PBM).");
        }

        if (info.Width <= 0 || info.Height <= 0 || (long)info.Width * info.Height > maxPixels)
        {
            throw new SwinFaceImageException($"{name}: {info.Width} x {info.Height} pixels is over the limit of {maxPixels:N0} pixels (FaceAnalyzerOptions.MaxImagePixels).");
        }

        long pixels = (long)info.Width * info.Height;
        if (ImageIntegrity.DensityLimit(data) is var (format, maxPerByte) && pixels > maxPerByte * data.Length)
        {
            throw new SwinFaceImageException(string.Create(
                CultureInfo.InvariantCulture,
                $"{name}: {info.Width} x {info.Height} pixels in {data.Length:N0} bytes, {pixels / data.Length:N0} pixels a byte: more than a {format} file can hold (at most {maxPerByte:N0} a byte). The file is cut short or made to be slow to decode; it was not decoded."));
        }

        string? warning = null;
        Image<Rgb24> rgb;
        if (TurboJpeg.IsAvailable && TurboJpeg.TryDecode(data, maxPixels) is { } jpeg)
        {
            rgb = jpeg.Image;
            warning = jpeg.Warning is null || IsHarmless(jpeg.Warning) ? null : "libjpeg-turbo: " + jpeg.Warning;
            rgb.Metadata.ExifProfile = info.Metadata.ExifProfile;
        }
        else
        {
            rgb = DecodeWithImageSharp(data, info, name);
        }

        try
        {
            ImageDamage? damage = truncation is null && warning is null ? null : Assess(rgb, truncation, warning);
            if (damage is not null && !acceptDamaged)
            {
                throw new SwinFaceImageException($"{name}: the image is damaged: {damage.Message}. It was not analysed (FaceAnalyzerOptions.AnalyzeDamagedPhotos).");
            }

            rgb.Mutate(x => x.AutoOrient());
            return new DecodedPhoto(rgb, damage);
        }
        catch
        {
            rgb.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Describes the damage, and counts the rows that hold data: decoders fill what a file cut short lacks
    /// with one colour (mid grey for libjpeg-turbo, black or transparent for ImageSharp), from the end of
    /// the data on.
    /// </summary>
    private static ImageDamage Assess(Image<Rgb24> image, string? truncation, string? warning)
    {
        int height = image.Height;
        int decoded = height;
        if (truncation is not null)
        {
            int fromBottom = UniformRun(image, height - 1, -1);
            int fromTop = fromBottom > 0 ? 0 : UniformRun(image, 0, 1);

            // A single uniform row proves nothing; a file cut inside its last row leaves none.
            int filled = Math.Max(fromBottom, fromTop);
            decoded = filled > 1 && filled < height ? height - filled : height;
        }

        string message = string.Join("; ", new[] { truncation, warning }.Where(m => m is not null));
        if (decoded < height)
        {
            message += string.Create(CultureInfo.InvariantCulture, $"; {decoded:N0} of {height:N0} rows hold image data, the rest was filled in");
        }

        return new ImageDamage(message, decoded, height);
    }

    /// <summary>Counts the rows, from <paramref name="start"/> on in direction <paramref name="step"/>, that all hold the first row's first pixel.</summary>
    private static int UniformRun(Image<Rgb24> image, int start, int step)
    {
        Rgb24 fill = image[0, start];
        int run = 0;
        image.ProcessPixelRows(rows =>
        {
            for (int y = start; y >= 0 && y < rows.Height; y += step)
            {
                foreach (Rgb24 p in rows.GetRowSpan(y))
                {
                    if (!p.Equals(fill))
                    {
                        return;
                    }
                }

                run++;
            }
        });
        return run;
    }

    /// <summary>
    /// Junk between the last scan and the end marker, which some cameras write: libjpeg-turbo warns
    /// ("extraneous bytes before marker 0xd9") but every pixel is there.
    /// </summary>
    private static bool IsHarmless(string warning) => warning.Contains("before marker 0xd9", StringComparison.OrdinalIgnoreCase);

    private static byte[] ReadAll(Stream stream, string name)
    {
        long length = stream.Length - stream.Position;
        if (length > Array.MaxLength)
        {
            throw new SwinFaceImageException($"{name}: {length:N0} bytes is too large a file.");
        }

        byte[] data = GC.AllocateUninitializedArray<byte>((int)length);
        stream.ReadExactly(data);
        return data;
    }

    private static string Describe(Exception e) =>
        e is ImageFormatException or InvalidMemoryOperationException or NotSupportedException ? e.Message : $"{e.GetType().Name}: {e.Message}";

    private static Configuration Decoding(long maxPixels)
    {
        // 4 bytes a pixel (RGBA) plus room for the decoder's own buffers.
        int limitMb = (int)Math.Clamp((maxPixels * 8 / (1024 * 1024)) + 64, 64, 16 * 1024);
        Configuration config = Configuration.Default.Clone();
        config.MemoryAllocator = MemoryAllocator.Create(new MemoryAllocatorOptions { AllocationLimitMegabytes = limitMb });

        // The first frame is the photo: the frames of an animated GIF or a multi-page TIFF are not all decoded.
        config.ImageFormatsManager.SetDecoder(GifFormat.Instance, new GifDecoder { DecodingMode = FrameDecodingMode.First });
        config.ImageFormatsManager.SetDecoder(TiffFormat.Instance, new TiffDecoder { DecodingMode = FrameDecodingMode.First });
        return config;
    }

    private Image<Rgb24> DecodeWithImageSharp(byte[] data, IImageInfo info, string name)
    {
        try
        {
            using var stream = new MemoryStream(data, writable: false);
            bool alpha = info.PixelType?.AlphaRepresentation is { } a && a != PixelAlphaRepresentation.None;
            if (!alpha)
            {
                return Image.Load<Rgb24>(_config, stream);
            }

            using Image<Rgba32> rgba = Image.Load<Rgba32>(_config, stream);
            rgba.Mutate(x => x.BackgroundColor(Color.White));
            return rgba.CloneAs<Rgb24>(_config);
        }
        catch (Exception e)
        {
            throw new SwinFaceImageException($"{name}: the image data is corrupt or unsupported ({Describe(e)}).", e);
        }
    }
}
