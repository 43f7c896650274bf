using System.Runtime.InteropServices;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace SwinFace.Imaging;

/// <summary>Gets an aligned face's pixels into the model's 112 x 112 RGB layout.</summary>
internal static class FacePixels
{
    /// <summary>The model's input width and height.</summary>
    public const int Size = 112;

    /// <summary>Bytes of one 112 x 112 RGB face.</summary>
    public const int Bytes = Size * Size * 3;

    /// <summary>Copies an image's pixels, resized to 112 x 112 as OpenCV would if needed.</summary>
    /// <param name="image">The face; never modified.</param>
    /// <param name="destination">Receives <see cref="Bytes"/> interleaved RGB bytes.</param>
    public static void Copy(Image<Rgb24> image, Span<byte> destination)
    {
        if (image.Width == Size && image.Height == Size)
        {
            image.CopyPixelDataTo(MemoryMarshal.Cast<byte, Rgb24>(destination[..Bytes]));
            return;
        }

        byte[] whole = new byte[checked(image.Width * image.Height * 3)];
        image.CopyPixelDataTo(whole);
        OpenCvResize.Resize(whole, image.Width, image.Height, destination, Size, Size, 3);
    }

    /// <summary>Copies raw interleaved RGB pixels, resized to 112 x 112 as OpenCV would if needed.</summary>
    /// <param name="rgb">Rows of <paramref name="width"/> RGB pixels, without padding.</param>
    /// <param name="width">Width in pixels.</param>
    /// <param name="height">Height in pixels.</param>
    /// <param name="destination">Receives <see cref="Bytes"/> interleaved RGB bytes.</param>
    public static void Copy(ReadOnlySpan<byte> rgb, int width, int height, Span<byte> destination) =>
        OpenCvResize.Resize(rgb, width, height, destination, Size, Size, 3);

    /// <summary>Builds the 256-entry table that maps a pixel value to the model's input value.</summary>
    /// <param name="mean">The mean, in 0..255 pixel units.</param>
    /// <param name="std">The standard deviation, in 0..255 pixel units.</param>
    /// <returns>One table per channel.</returns>
    public static float[][] NormalizationTables(ReadOnlySpan<float> mean, ReadOnlySpan<float> std)
    {
        var tables = new float[3][];
        for (int c = 0; c < 3; c++)
        {
            tables[c] = new float[256];
            // The authors compute (v / 255 - 0.5) / 0.5 in float32; this order reproduces it exactly.
            float m = mean[c] / 255f;
            float s = std[c] / 255f;
            for (int v = 0; v < 256; v++)
            {
                tables[c][v] = ((v / 255f) - m) / s;
            }
        }

        return tables;
    }

    /// <summary>Writes one face as planar CHW floats.</summary>
    /// <param name="rgb">A face's <see cref="Bytes"/> interleaved RGB bytes.</param>
    /// <param name="tables">The tables of <see cref="NormalizationTables"/>.</param>
    /// <param name="chw">Receives 3 x 112 x 112 floats.</param>
    public static void ToPlanar(ReadOnlySpan<byte> rgb, float[][] tables, Span<float> chw)
    {
        const int plane = Size * Size;
        Span<float> r = chw[..plane];
        Span<float> g = chw.Slice(plane, plane);
        Span<float> b = chw.Slice(2 * plane, plane);
        float[] tr = tables[0], tg = tables[1], tb = tables[2];
        for (int i = 0, j = 0; i < plane; i++, j += 3)
        {
            r[i] = tr[rgb[j]];
            g[i] = tg[rgb[j + 1]];
            b[i] = tb[rgb[j + 2]];
        }
    }
}
