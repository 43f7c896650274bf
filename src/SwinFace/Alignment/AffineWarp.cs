using System.Numerics;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace SwinFace.Alignment;

/// <summary>Bilinear affine resampling into a small RGB buffer, with black outside the source.</summary>
internal static class AffineWarp
{
    /// <summary>Fills <paramref name="destination"/> (width x height x 3 bytes) with the source seen through <paramref name="sourceToDestination"/>.</summary>
    public static void Warp(Image<Rgb24> source, Matrix3x2 sourceToDestination, Span<byte> destination, int width, int height)
    {
        if (!Matrix3x2.Invert(sourceToDestination, out Matrix3x2 inverse))
        {
            throw new ArgumentException("The transform is not invertible.", nameof(sourceToDestination));
        }

        int sw = source.Width, sh = source.Height;
        byte[] dst = new byte[width * height * 3];
        source.ProcessPixelRows(rows =>
        {
            for (int v = 0; v < height; v++)
            {
                for (int u = 0; u < width; u++)
                {
                    Vector2 p = Vector2.Transform(new Vector2(u, v), inverse);
                    int x0 = (int)MathF.Floor(p.X), y0 = (int)MathF.Floor(p.Y);
                    float fx = p.X - x0, fy = p.Y - y0;
                    float r = 0, g = 0, b = 0;
                    for (int dy = 0; dy < 2; dy++)
                    {
                        int y = y0 + dy;
                        if ((uint)y >= (uint)sh)
                        {
                            continue;
                        }

                        Span<Rgb24> row = rows.GetRowSpan(y);
                        float wy = dy == 0 ? 1 - fy : fy;
                        for (int dx = 0; dx < 2; dx++)
                        {
                            int x = x0 + dx;
                            if ((uint)x >= (uint)sw)
                            {
                                continue;
                            }

                            float w = wy * (dx == 0 ? 1 - fx : fx);
                            r += w * row[x].R;
                            g += w * row[x].G;
                            b += w * row[x].B;
                        }
                    }

                    int o = ((v * width) + u) * 3;
                    dst[o] = (byte)Math.Clamp(MathF.Round(r), 0, 255);
                    dst[o + 1] = (byte)Math.Clamp(MathF.Round(g), 0, 255);
                    dst[o + 2] = (byte)Math.Clamp(MathF.Round(b), 0, 255);
                }
            }
        });
        dst.CopyTo(destination);
    }
}
