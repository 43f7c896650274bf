using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace SwinFace.Imaging;

/// <summary>
/// Shrinks an image by area averaging (each output pixel is the mean of the source area it covers, with
/// fractional weights at the edges), one pass over the source: a fast, alias-free way to feed a detector.
/// </summary>
internal static class AreaResize
{
    /// <summary>
    /// Writes <paramref name="source"/> shrunk to <paramref name="width"/> x <paramref name="height"/> into an
    /// interleaved RGB float buffer with rows of <paramref name="stride"/> pixels, at (<paramref name="left"/>,
    /// <paramref name="top"/>), each value mapped by <c>v * scale + offset</c>.
    /// </summary>
    public static void Shrink(Image<Rgb24> source, int width, int height, float[] destination, int stride, int left, int top, float scale, float offset)
    {
        Shrink(source, source.Bounds(), width, height, (y, row) =>
        {
            int o = (((top + y) * stride) + left) * 3;
            for (int i = 0; i < row.Length; i++)
            {
                destination[o + i] = (row[i] * scale) + offset;
            }
        });
    }

    /// <summary>
    /// Shrinks one plane of floats, <paramref name="width"/> x <paramref name="height"/> in rows of
    /// <paramref name="stride"/>, to <paramref name="outWidth"/> x <paramref name="outHeight"/> in rows of
    /// <paramref name="outStride"/>. The rest of the destination is left as it is.
    /// </summary>
    public static void ShrinkPlane(ReadOnlySpan<float> source, int width, int height, int stride, Span<float> destination, int outWidth, int outHeight, int outStride)
    {
        if (outWidth > width || outHeight > height || outWidth < 1 || outHeight < 1)
        {
            throw new ArgumentException("Area averaging only shrinks.", nameof(outWidth));
        }

        if (source.Length < ((long)(height - 1) * stride) + width || destination.Length < ((long)(outHeight - 1) * outStride) + outWidth)
        {
            throw new ArgumentException("A plane is too small for its size.", nameof(destination));
        }

        (int[] xStart, int[] xCount, float[] xWeights) = Weights(width, outWidth);
        (int[] yStart, int[] yCount, float[] yWeights) = Weights(height, outHeight);
        int span = xWeights.Length / outWidth, ySpan = yWeights.Length / outHeight;

        // Down first, with whole rows at once (vectorised), then across the one summed row.
        float[] down = new float[width];
        for (int y = 0; y < outHeight; y++)
        {
            Array.Clear(down);
            for (int j = 0; j < yCount[y]; j++)
            {
                TensorPrimitives.MultiplyAdd(source.Slice((yStart[y] + j) * stride, width), yWeights[(y * ySpan) + j], down, down);
            }

            Span<float> row = destination.Slice(y * outStride, outWidth);
            for (int x = 0; x < outWidth; x++)
            {
                float sum = 0;
                int s0 = xStart[x];
                for (int i = 0; i < xCount[x]; i++)
                {
                    sum += xWeights[(x * span) + i] * down[s0 + i];
                }

                row[x] = sum;
            }
        }
    }

    /// <summary>
    /// Writes the <paramref name="region"/> of <paramref name="source"/> shrunk to <paramref name="width"/> x
    /// <paramref name="height"/> into three planes of <paramref name="stride"/> x <paramref name="planeHeight"/>
    /// floats, blue, green then red (the layout of OpenCV's <c>blobFromImage</c> on a BGR image), at the planes'
    /// top-left corner, values 0 to 255. The rest of the planes is left as it is.
    /// </summary>
    public static void ShrinkToPlanarBgr(Image<Rgb24> source, Rectangle region, int width, int height, float[] destination, int stride, int planeHeight)
    {
        if (stride < width || planeHeight < height || destination.Length < 3L * stride * planeHeight)
        {
            throw new ArgumentException("The destination is too small for the image.", nameof(destination));
        }

        int plane = stride * planeHeight;
        if (width == region.Width && height == region.Height && source.Bounds().Contains(region))
        {
            // Nothing to average: each pixel goes straight to its three planes.
            source.ProcessPixelRows(rows =>
            {
                for (int y = 0; y < height; y++)
                {
                    Span<Rgb24> src = rows.GetRowSpan(region.Y + y).Slice(region.X, width);
                    Span<float> b = destination.AsSpan(y * stride, width), g = destination.AsSpan(plane + (y * stride), width), r = destination.AsSpan((2 * plane) + (y * stride), width);
                    for (int x = 0; x < src.Length; x++)
                    {
                        Rgb24 p = src[x];
                        b[x] = p.B;
                        g[x] = p.G;
                        r[x] = p.R;
                    }
                }
            });
            return;
        }

        Shrink(source, region, width, height, (y, row) =>
        {
            int o = y * stride;
            for (int x = 0; x < width; x++)
            {
                destination[o + x] = row[(3 * x) + 2];
                destination[plane + o + x] = row[(3 * x) + 1];
                destination[(2 * plane) + o + x] = row[3 * x];
            }
        });
    }

    /// <summary>
    /// Computes each output row of the <paramref name="region"/> of <paramref name="source"/> as interleaved RGB
    /// values and hands it to <paramref name="write"/> with its index.
    /// </summary>
    private static void Shrink(Image<Rgb24> source, Rectangle region, int width, int height, Action<int, float[]> write)
    {
        if (!source.Bounds().Contains(region) || region.Width < 1 || region.Height < 1)
        {
            throw new ArgumentException($"The region {region} is not inside the image.", nameof(region));
        }

        if (width > region.Width || height > region.Height || width < 1 || height < 1)
        {
            throw new ArgumentException("Area averaging only shrinks.", nameof(width));
        }

        float[] row = new float[width * 3];
        if (width == region.Width && height == region.Height)
        {
            // Nothing to average: each output pixel is its source pixel.
            source.ProcessPixelRows(rows =>
            {
                for (int y = 0; y < height; y++)
                {
                    Span<Rgb24> src = rows.GetRowSpan(region.Y + y).Slice(region.X, width);
                    for (int x = 0; x < width; x++)
                    {
                        row[3 * x] = src[x].R;
                        row[(3 * x) + 1] = src[x].G;
                        row[(3 * x) + 2] = src[x].B;
                    }

                    write(y, row);
                }
            });
            return;
        }

        (int[] xStart, int[] xCount, float[] xWeights) = Weights(region.Width, width);
        (int[] yStart, int[] yCount, float[] yWeights) = Weights(region.Height, height);
        int span = xWeights.Length / width;
        int ySpan = yWeights.Length / height;

        // Separable: each source row is averaged across once, into a ring of rows, and the output rows are weighted
        // sums of those. Successive output rows share at most one source row, so ySpan + 1 rows suffice.
        int ring = ySpan + 1;
        float[][] across = [.. Enumerable.Range(0, ring).Select(_ => new float[width * 3])];
        int[] held = [.. Enumerable.Repeat(-1, ring)];
        source.ProcessPixelRows(rows =>
        {
            for (int y = 0; y < height; y++)
            {
                Array.Clear(row);
                for (int j = 0; j < yCount[y]; j++)
                {
                    int sy = yStart[y] + j;
                    float[] a = across[sy % ring];
                    if (held[sy % ring] != sy)
                    {
                        Across(rows.GetRowSpan(region.Y + sy).Slice(region.X, region.Width), xStart, xCount, xWeights, span, a);
                        held[sy % ring] = sy;
                    }

                    TensorPrimitives.MultiplyAdd(a, yWeights[(y * ySpan) + j], row, row);
                }

                write(y, row);
            }
        });
    }

    /// <summary>Averages one source row across, into interleaved RGB.</summary>
    private static void Across(ReadOnlySpan<Rgb24> source, int[] start, int[] count, float[] weights, int span, float[] destination)
    {
        if (destination.Length < 3 * start.Length || weights.Length < span * start.Length || source.Length < start[^1] + count[^1])
        {
            throw new ArgumentException("The row does not match its weights.", nameof(destination));
        }

        // The hottest loop of a detection; Weights guarantees every index, so the bounds checks go.
        ref Rgb24 src = ref MemoryMarshal.GetReference(source);
        ref float w0 = ref MemoryMarshal.GetArrayDataReference(weights);
        ref float dst = ref MemoryMarshal.GetArrayDataReference(destination);
        for (int x = 0; x < start.Length; x++)
        {
            ref Rgb24 p = ref Unsafe.Add(ref src, start[x]);
            ref float w = ref Unsafe.Add(ref w0, x * span);
            float r = 0, g = 0, b = 0;
            for (int i = 0, n = count[x]; i < n; i++)
            {
                float k = Unsafe.Add(ref w, i);
                Rgb24 q = Unsafe.Add(ref p, i);
                r += k * q.R;
                g += k * q.G;
                b += k * q.B;
            }

            Unsafe.Add(ref dst, 3 * x) = r;
            Unsafe.Add(ref dst, (3 * x) + 1) = g;
            Unsafe.Add(ref dst, (3 * x) + 2) = b;
        }
    }

    /// <summary>For each output pixel: the first source pixel it covers, how many, and their weights (summing to 1).</summary>
    private static (int[] Start, int[] Count, float[] Weights) Weights(int sourceSize, int size)
    {
        double ratio = (double)sourceSize / size;
        int span = (int)Math.Ceiling(ratio) + 1;
        int[] start = new int[size], count = new int[size];
        float[] weights = new float[size * span];
        for (int x = 0; x < size; x++)
        {
            double a = x * ratio, b = Math.Min(sourceSize, (x + 1) * ratio);
            int first = (int)Math.Floor(a);
            int last = Math.Min(sourceSize - 1, (int)Math.Ceiling(b) - 1);
            start[x] = first;
            count[x] = last - first + 1;
            for (int s = first; s <= last; s++)
            {
                double cover = Math.Min(b, s + 1) - Math.Max(a, s);
                weights[(x * span) + s - first] = (float)(cover / ratio);
            }
        }

        return (start, count, weights);
    }
}
