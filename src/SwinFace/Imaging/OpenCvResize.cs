namespace SwinFace.Imaging;

/// <summary>
/// Bilinear resizing of 8-bit interleaved images that reproduces OpenCV's <c>cv2.resize</c> with its
/// default <c>INTER_LINEAR</c>, bit for bit: the resize of the SwinFace authors' inference script.
/// </summary>
/// <remarks>
/// OpenCV samples at pixel centres, clamps at the borders, and works in fixed point: 11-bit
/// coefficients horizontally, then a vertical pass with its own rounding. An exact 2x reduction in both
/// directions is done by OpenCV as a 2 x 2 box average, and so it is here.
/// </remarks>
internal static class OpenCvResize
{
    private const int CoefBits = 11;
    private const int CoefScale = 1 << CoefBits;
    private const double DblEpsilon = 2.220446049250313e-16;

    /// <summary>Resizes <paramref name="source"/> into <paramref name="destination"/>.</summary>
    /// <param name="source">Interleaved pixels, rows without padding.</param>
    /// <param name="sourceWidth">Source width in pixels.</param>
    /// <param name="sourceHeight">Source height in pixels.</param>
    /// <param name="destination">Receives the resized pixels.</param>
    /// <param name="width">Destination width.</param>
    /// <param name="height">Destination height.</param>
    /// <param name="channels">Channels per pixel.</param>
    public static void Resize(ReadOnlySpan<byte> source, int sourceWidth, int sourceHeight, Span<byte> destination, int width, int height, int channels)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(sourceWidth, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(sourceHeight, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 1);
        if (source.Length < sourceWidth * sourceHeight * channels)
        {
            throw new ArgumentException("Source is too short for its size.", nameof(source));
        }

        if (destination.Length < width * height * channels)
        {
            throw new ArgumentException("Destination is too short.", nameof(destination));
        }

        if (sourceWidth == width && sourceHeight == height)
        {
            source[..(width * height * channels)].CopyTo(destination);
            return;
        }

        // OpenCV: scale = 1 / (dsize / ssize), in double.
        double scaleX = 1.0 / ((double)width / sourceWidth);
        double scaleY = 1.0 / ((double)height / sourceHeight);
        if (Math.Abs(scaleX - 2) < DblEpsilon && Math.Abs(scaleY - 2) < DblEpsilon)
        {
            HalveBox(source, sourceWidth, destination, width, height, channels);
            return;
        }

        Linear(source, sourceWidth, sourceHeight, destination, width, height, channels, scaleX, scaleY);
    }

    private static void HalveBox(ReadOnlySpan<byte> src, int sourceWidth, Span<byte> dst, int width, int height, int cn)
    {
        int srcStride = sourceWidth * cn;
        for (int y = 0; y < height; y++)
        {
            ReadOnlySpan<byte> r0 = src.Slice(2 * y * srcStride, srcStride);
            ReadOnlySpan<byte> r1 = src.Slice(((2 * y) + 1) * srcStride, srcStride);
            Span<byte> d = dst.Slice(y * width * cn, width * cn);
            for (int x = 0; x < width; x++)
            {
                for (int c = 0; c < cn; c++)
                {
                    int i = (2 * x * cn) + c;
                    d[(x * cn) + c] = (byte)((r0[i] + r0[i + cn] + r1[i] + r1[i + cn] + 2) >> 2);
                }
            }
        }
    }

    private static void Linear(ReadOnlySpan<byte> src, int sw, int sh, Span<byte> dst, int dw, int dh, int cn, double scaleX, double scaleY)
    {
        int[] xofs = new int[dw];
        short[] alpha = new short[dw * 2];
        int xmax = dw;
        for (int dx = 0; dx < dw; dx++)
        {
            float fx = (float)(((dx + 0.5) * scaleX) - 0.5);
            int sx = (int)MathF.Floor(fx);
            fx -= sx;
            if (sx < 0)
            {
                fx = 0;
                sx = 0;
            }

            if (sx + 1 >= sw)
            {
                xmax = Math.Min(xmax, dx);
                if (sx >= sw - 1)
                {
                    fx = 0;
                    sx = sw - 1;
                }
            }

            xofs[dx] = sx;
            alpha[2 * dx] = SaturateShort((1f - fx) * CoefScale);
            alpha[(2 * dx) + 1] = SaturateShort(fx * CoefScale);
        }

        int[] s0 = new int[dw * cn];
        int[] s1 = new int[dw * cn];
        for (int dy = 0; dy < dh; dy++)
        {
            float fy = (float)(((dy + 0.5) * scaleY) - 0.5);
            int sy = (int)MathF.Floor(fy);
            fy -= sy;
            int b0 = SaturateShort((1f - fy) * CoefScale);
            int b1 = SaturateShort(fy * CoefScale);
            HorizontalRow(src.Slice(Math.Clamp(sy, 0, sh - 1) * sw * cn, sw * cn), cn, xofs, alpha, xmax, s0);
            HorizontalRow(src.Slice(Math.Clamp(sy + 1, 0, sh - 1) * sw * cn, sw * cn), cn, xofs, alpha, xmax, s1);
            Span<byte> d = dst.Slice(dy * dw * cn, dw * cn);
            for (int i = 0; i < d.Length; i++)
            {
                // OpenCV's VResizeLinear for 8 bits: shifts before the products keep them in 32 bits.
                d[i] = SaturateByte((((b0 * (s0[i] >> 4)) >> 16) + ((b1 * (s1[i] >> 4)) >> 16) + 2) >> 2);
            }
        }
    }

    private static void HorizontalRow(ReadOnlySpan<byte> s, int cn, int[] xofs, short[] alpha, int xmax, int[] row)
    {
        for (int dx = 0; dx < xofs.Length; dx++)
        {
            int sx = xofs[dx] * cn;
            for (int c = 0; c < cn; c++)
            {
                row[(dx * cn) + c] = dx < xmax
                    ? (s[sx + c] * alpha[2 * dx]) + (s[sx + c + cn] * alpha[(2 * dx) + 1])
                    : s[sx + c] * CoefScale;
            }
        }
    }

    // cvRound: round half to even, then saturate.
    private static short SaturateShort(float v) => (short)Math.Clamp(MathF.Round(v, MidpointRounding.ToEven), short.MinValue, short.MaxValue);

    private static byte SaturateByte(int v) => (byte)Math.Clamp(v, 0, 255);
}
