namespace SwinFace.Detection;

/// <summary>A BlazeFace detection before merging: score, box centre and size, six keypoints, in image pixels.</summary>
internal struct Candidate
{
    public const int Values = 16;

    /// <summary>cx, cy, w, h, then (x, y) of right eye, left eye, nose, mouth, right ear, left ear (the subject's sides).</summary>
    public float[] Geometry;
    public float Score;

    public readonly float Left => Geometry[0] - (Geometry[2] / 2);

    public readonly float Top => Geometry[1] - (Geometry[3] / 2);

    public readonly float Right => Geometry[0] + (Geometry[2] / 2);

    public readonly float Bottom => Geometry[1] + (Geometry[3] / 2);

    public static float Overlap(in Candidate a, in Candidate b)
    {
        float w = Math.Min(a.Right, b.Right) - Math.Max(a.Left, b.Left);
        float h = Math.Min(a.Bottom, b.Bottom) - Math.Max(a.Top, b.Top);
        if (w <= 0 || h <= 0)
        {
            return 0;
        }

        float inner = w * h;
        return inner / ((a.Geometry[2] * a.Geometry[3]) + (b.Geometry[2] * b.Geometry[3]) - inner);
    }
}

/// <summary>
/// Decodes BlazeFace outputs (MediaPipe's SSD anchors) and merges overlapping detections with
/// MediaPipe's weighted non-maximum suppression.
/// </summary>
internal static class BlazeFaceDecoder
{
    /// <summary>
    /// Decodes one anchor layer: a grid of <paramref name="cells"/> x <paramref name="cells"/> cells with
    /// <paramref name="anchors"/> anchors each, anchors at the cell centres with unit size (MediaPipe's
    /// fixed anchor size). Raw offsets are in input pixels.
    /// </summary>
    /// <param name="scores">Raw scores (logits), one per anchor.</param>
    /// <param name="boxes">16 raw values per anchor: dx, dy, w, h, then six keypoint offsets.</param>
    /// <param name="cells">Cells per row and column.</param>
    /// <param name="anchors">Anchors per cell.</param>
    /// <param name="inputSize">The model's input size in pixels.</param>
    /// <param name="threshold">The lowest score kept.</param>
    /// <param name="toImage">Maps a point in normalised model coordinates (0..1) to image pixels.</param>
    /// <param name="scale">Image pixels per normalised model unit, for widths and heights.</param>
    /// <param name="output">Receives the candidates above the threshold.</param>
    public static void DecodeLayer(ReadOnlySpan<float> scores, ReadOnlySpan<float> boxes, int cells, int anchors, int inputSize, float threshold, Func<float, float, (float X, float Y)> toImage, float scale, List<Candidate> output)
    {
        float inv = 1f / inputSize;
        for (int y = 0, i = 0; y < cells; y++)
        {
            for (int x = 0; x < cells; x++)
            {
                float ax = (x + 0.5f) / cells, ay = (y + 0.5f) / cells;
                for (int a = 0; a < anchors; a++, i++)
                {
                    // MediaPipe clips raw scores to +-100 before the sigmoid.
                    float score = 1f / (1f + MathF.Exp(-Math.Clamp(scores[i], -100f, 100f)));
                    if (score < threshold)
                    {
                        continue;
                    }

                    ReadOnlySpan<float> r = boxes.Slice(i * Candidate.Values, Candidate.Values);
                    float[] g = new float[Candidate.Values];
                    (g[0], g[1]) = toImage(ax + (r[0] * inv), ay + (r[1] * inv));
                    g[2] = r[2] * inv * scale;
                    g[3] = r[3] * inv * scale;
                    for (int k = 0; k < 6; k++)
                    {
                        (g[4 + (2 * k)], g[5 + (2 * k)]) = toImage(ax + (r[4 + (2 * k)] * inv), ay + (r[5 + (2 * k)] * inv));
                    }

                    output.Add(new Candidate { Geometry = g, Score = score });
                }
            }
        }
    }

    /// <summary>
    /// MediaPipe's weighted non-maximum suppression: strongest first, every candidate that overlaps the
    /// strongest remaining one by more than <paramref name="overlap"/> is averaged into it, weighted by
    /// score; the merged detection keeps the strongest score.
    /// </summary>
    public static List<Candidate> WeightedNms(List<Candidate> candidates, float overlap)
    {
        var remaining = candidates.OrderByDescending(c => c.Score).ToList();
        var result = new List<Candidate>();
        while (remaining.Count > 0)
        {
            Candidate top = remaining[0];
            float[] sum = new float[Candidate.Values];
            float total = 0;
            var rest = new List<Candidate>(remaining.Count);
            foreach (Candidate c in remaining)
            {
                if (Candidate.Overlap(top, c) > overlap || ReferenceEquals(c.Geometry, top.Geometry))
                {
                    for (int k = 0; k < sum.Length; k++)
                    {
                        sum[k] += c.Geometry[k] * c.Score;
                    }

                    total += c.Score;
                }
                else
                {
                    rest.Add(c);
                }
            }

            for (int k = 0; k < sum.Length; k++)
            {
                sum[k] /= total;
            }

            result.Add(new Candidate { Geometry = sum, Score = top.Score });
            remaining = rest;
        }

        return result;
    }
}
