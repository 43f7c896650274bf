using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Memory;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing;

namespace SwinFace.Imaging;

/// <summary>
/// Decodes photos safely: dimensions are checked from the header before any pixel is decoded, the
/// decoder's allocations are capped, EXIF orientation is applied, and transparency is flattened onto
/// white. Grayscale, palette, 16-bit and CMYK images all come out as 8-bit RGB. JPEGs go through
/// libjpeg-turbo when it is installed (<see cref="TurboJpeg"/>), so their pixels equal OpenCV's.
/// </summary>
internal sealed class PhotoLoader(long maxPixels)
{
    /// <summary>The loader with the default limit, for <see cref="ImageFile"/>.</summary>
    public static readonly PhotoLoader Default = new(100_000_000);

    private readonly Configuration _config = Decoding(maxPixels);

    /// <summary>Decodes a photo from a seekable stream.</summary>
    /// <param name="stream">The encoded image; read from its current position.</param>
    /// <param name="name">How to name the image in error messages.</param>
    /// <exception cref="SwinFaceImageException">The image is not readable, is corrupt, or is too large.</exception>
    public Image<Rgb24> Load(Stream stream, string name)
    {
        long start = stream.Position;
        Configuration config = _config;
        IImageInfo? info;
        try
        {
            info = Image.Identify(config, stream);
        }
        catch (Exception e) when (e is ImageFormatException or InvalidMemoryOperationException)
        {
            throw new SwinFaceImageException($"{name}: cannot read the image header ({e.Message}).", e);
        }

        if (info is null)
        {
            throw new SwinFaceImageException($"{name}: not an image in a supported format (JPEG, PNG, BMP, GIF, TIFF, TGA, WebP, PBM).");
        }

        if (info.Width <= 0 || info.Height <= 0 || (long)info.Width * info.Height > maxPixels)
        {
            throw new SwinFaceImageException($"{name}: {info.Width} x {info.Height} pixels is over the limit of {maxPixels:N0} pixels (FaceAnalyzerOptions.MaxImagePixels).");
        }

        stream.Position = start;
        if (TurboJpeg.IsAvailable && IsJpeg(stream))
        {
            byte[] bytes = new byte[stream.Length - start];
            stream.ReadExactly(bytes);
            stream.Position = start;
            if (TurboJpeg.TryDecode(bytes, maxPixels) is { } jpeg)
            {
                jpeg.Metadata.ExifProfile = info.Metadata.ExifProfile;
                jpeg.Mutate(x => x.AutoOrient());
                return jpeg;
            }
        }

        try
        {
            bool alpha = info.PixelType?.AlphaRepresentation is { } a && a != PixelAlphaRepresentation.None;
            Image<Rgb24> rgb;
            if (alpha)
            {
                using Image<Rgba32> rgba = Image.Load<Rgba32>(config, stream);
                rgba.Mutate(x => x.BackgroundColor(Color.White));
                rgb = rgba.CloneAs<Rgb24>(config);
            }
            else
            {
                rgb = Image.Load<Rgb24>(config, stream);
            }

            rgb.Mutate(x => x.AutoOrient());
            return rgb;
        }
        catch (Exception e) when (e is ImageFormatException or InvalidMemoryOperationException or NotSupportedException)
        {
            throw new SwinFaceImageException($"{name}: the image data is corrupt or unsupported ({e.Message}).", e);
        }
    }

    /// <summary>Whether the stream starts with a JPEG's SOI marker; leaves the position where it was.</summary>
    private static bool IsJpeg(Stream stream)
    {
        long start = stream.Position;
        Span<byte> head = stackalloc byte[3];
        int read = stream.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
        stream.Position = start;
        return read == 3 && head[0] == 0xFF && head[1] == 0xD8 && head[2] == 0xFF;
    }

    private static Configuration Decoding(long maxPixels)
    {
        // 4 bytes a pixel (RGBA) plus room for the decoder's own buffers.
        int limitMb = (int)Math.Clamp((maxPixels * 8 / (1024 * 1024)) + 64, 64, 16 * 1024);
        Configuration config = Configuration.Default.Clone();
        config.MemoryAllocator = MemoryAllocator.Create(new MemoryAllocatorOptions { AllocationLimitMegabytes = limitMb });
        return config;
    }
}
