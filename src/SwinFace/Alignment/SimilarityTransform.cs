using System.Numerics;
using SixLabors.ImageSharp;

namespace SwinFace.Alignment;

/// <summary>Least-squares similarity transforms between point sets.</summary>
internal static class SimilarityTransform
{
    /// <summary>
    /// The similarity x -> c x + t (c complex: rotation and uniform scale, no reflection) that minimises
    /// the squared distances from the mapped <paramref name="source"/> points to <paramref name="target"/>.
    /// </summary>
    /// <remarks>
    /// Treating points as complex numbers, the optimum is c = sum(conj(s_i) t_i) / sum(|s_i|^2) over the
    /// centred points, and t = mean(target) - c mean(source): the 2-D case of Umeyama's method.
    /// </remarks>
    /// <param name="source">The points to map.</param>
    /// <param name="target">Where they should land.</param>
    public static Matrix3x2 Fit(ReadOnlySpan<PointF> source, ReadOnlySpan<PointF> target)
    {
        if (source.Length != target.Length || source.Length < 2)
        {
            throw new ArgumentException("Need at least two point pairs, as many sources as targets.", nameof(source));
        }

        int n = source.Length;
        double msx = 0, msy = 0, mtx = 0, mty = 0;
        for (int i = 0; i < n; i++)
        {
            msx += source[i].X;
            msy += source[i].Y;
            mtx += target[i].X;
            mty += target[i].Y;
        }

        msx /= n;
        msy /= n;
        mtx /= n;
        mty /= n;
        double re = 0, im = 0, norm = 0;
        for (int i = 0; i < n; i++)
        {
            double sx = source[i].X - msx, sy = source[i].Y - msy;
            double tx = target[i].X - mtx, ty = target[i].Y - mty;
            // conj(s) * t
            re += (sx * tx) + (sy * ty);
            im += (sx * ty) - (sy * tx);
            norm += (sx * sx) + (sy * sy);
        }

        if (!(norm > 1e-12))
        {
            throw new ArgumentException("The source points coincide; no similarity transform exists.", nameof(source));
        }

        double a = re / norm, b = im / norm;
        double dx = mtx - ((a * msx) - (b * msy));
        double dy = mty - ((b * msx) + (a * msy));

        // Row-vector convention of System.Numerics: x' = x M11 + y M21 + M31, y' = x M12 + y M22 + M32.
        return new Matrix3x2((float)a, (float)b, (float)-b, (float)a, (float)dx, (float)dy);
    }
}
