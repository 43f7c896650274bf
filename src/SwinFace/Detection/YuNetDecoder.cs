namespace SwinFace.Detection;

/// <summary>A YuNet detection before suppression: score, box corners and five points, in the model input's pixels.</summary>
internal struct YuNetCandidate
{
    /// <summary>The number of values in <see cref="Geometry"/>.</summary>
    public const int Values = 14;

    /// <summary>
    /// Left, top, right, bottom, then (x, y) of the eye on the image's left, the other eye, the nose tip, the
    /// mouth corner on the image's left and the other mouth corner.
    /// </summary>
    public float[] Geometry;
    public float Score;

    public readonly float Width => Geometry[2] - Geometry[0];

    public readonly float Height => Geometry[3] - Geometry[1];

    /// <summary>The intersection over union of two boxes; 0 when they do not overlap.</summary>
    public static float Overlap(in YuNetCandidate a, in YuNetCandidate b)
    {
        float w = Math.Min(a.Geometry[2], b.Geometry[2]) - Math.Max(a.Geometry[0], b.Geometry[0]);
        float h = Math.Min(a.Geometry[3], b.Geometry[3]) - Math.Max(a.Geometry[1], b.Geometry[1]);
        if (w <= 0 || h <= 0)
        {
            return 0;
        }

        float inner = w * h;
        return inner / ((a.Width * a.Height) + (b.Width * b.Height) - inner);
    }
}

/// <summary>
/// Decodes YuNet's outputs (one anchor a grid cell, strides 8, 16 and 32) and keeps the strongest of
/// overlapping detections (greedy non-maximum suppression).
/// </summary>
/// <remarks>
/// Written from the model's interface as described in <c>shared/models/yunet/README.md</c>: for the cell in
/// row r and column c of a grid of stride s, score = sqrt(cls x obj), box centre ((c + dx) s, (r + dy) s),
/// box size (exp(dw) s, exp(dh) s), point k ((px_k + c) s, (py_k + r) s).
/// </remarks>
internal static class YuNetDecoder
{
    /// <summary>The strides of YuNet's three output grids, finest first.</summary>
    public static readonly int[] Strides = [8, 16, 32];

    /// <summary>Decodes one grid of <paramref name="rows"/> x <paramref name="columns"/> cells.</summary>
    /// <param name="cls">Class scores, one per cell, 0 to 1.</param>
    /// <param name="obj">Objectness scores, one per cell, 0 to 1.</param>
    /// <param name="bbox">Four values per cell: centre offsets and log sizes, in strides.</param>
    /// <param name="kps">Ten values per cell: the five points' offsets, in strides.</param>
    /// <param name="rows">Rows of the grid: the input's height over the stride.</param>
    /// <param name="columns">Columns of the grid: the input's width over the stride.</param>
    /// <param name="stride">The grid's stride in input pixels.</param>
    /// <param name="threshold">The lowest score kept.</param>
    /// <param name="output">Receives the candidates at or above the threshold, in input pixels.</param>
    public static void DecodeGrid(ReadOnlySpan<float> cls, ReadOnlySpan<float> obj, ReadOnlySpan<float> bbox, ReadOnlySpan<float> kps, int rows, int columns, int stride, float threshold, List<YuNetCandidate> output)
    {
        int cells = rows * columns;
        if (cls.Length < cells || obj.Length < cells || bbox.Length < 4 * cells || kps.Length < 10 * cells)
        {
            throw new ArgumentException($"A {rows} x {columns} grid needs {cells} scores, {4 * cells} box values and {10 * cells} point values.", nameof(cls));
        }

        for (int r = 0, i = 0; r < rows; r++)
        {
            for (int c = 0; c < columns; c++, i++)
            {
                // The scores are probabilities already; clamping keeps the square root real whatever the model gives.
                float score = MathF.Sqrt(Math.Clamp(cls[i], 0f, 1f) * Math.Clamp(obj[i], 0f, 1f));
                if (!(score >= threshold))
                {
                    continue;
                }

                ReadOnlySpan<float> b = bbox.Slice(4 * i, 4);
                ReadOnlySpan<float> k = kps.Slice(10 * i, 10);
                float cx = (c + b[0]) * stride, cy = (r + b[1]) * stride;
                float w = MathF.Exp(b[2]) * stride, h = MathF.Exp(b[3]) * stride;
                float[] g = new float[YuNetCandidate.Values];
                g[0] = cx - (w / 2);
                g[1] = cy - (h / 2);
                g[2] = cx + (w / 2);
                g[3] = cy + (h / 2);
                for (int p = 0; p < 5; p++)
                {
                    g[4 + (2 * p)] = (k[2 * p] + c) * stride;
                    g[5 + (2 * p)] = (k[(2 * p) + 1] + r) * stride;
                }

                if (float.IsFinite(w) && float.IsFinite(h))
                {
                    output.Add(new YuNetCandidate { Geometry = g, Score = score });
                }
            }
        }
    }

    /// <summary>
    /// Greedy non-maximum suppression: strongest first, each candidate is kept unless it overlaps a kept one by
    /// more than <paramref name="overlap"/> (intersection over union). Ties in score keep their input order.
    /// </summary>
    /// <param name="candidates">The candidates, in any order.</param>
    /// <param name="overlap">The largest intersection over union two kept detections may have.</param>
    /// <returns>The kept candidates, strongest first.</returns>
    public static List<YuNetCandidate> Suppress(IReadOnlyList<YuNetCandidate> candidates, float overlap)
    {
        // OrderByDescending is stable, so equal scores keep their order.
        List<YuNetCandidate> sorted = [.. candidates.OrderByDescending(c => c.Score)];
        var kept = new List<YuNetCandidate>();
        foreach (YuNetCandidate c in sorted)
        {
            bool suppressed = false;
            foreach (YuNetCandidate k in kept)
            {
                if (YuNetCandidate.Overlap(c, k) > overlap)
                {
                    suppressed = true;
                    break;
                }
            }

            if (!suppressed)
            {
                kept.Add(c);
            }
        }

        return kept;
    }
}
