using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing;

namespace SwinFace.Tests.Detection;

/// <summary>
/// Builds large group photos from the hand-labelled faces of the dlib photos: each face is cut out with its
/// hair and chin (a soft-edged ellipse around its box), scaled so that its box has a chosen width, and placed
/// on a grid over a smooth, noisy background. Where each face went is known exactly, from its hand-drawn box.
/// The other labelled faces of a photo are left out of a cut-out, so that each shows one face, and faces that
/// overlap a neighbour are not used.
/// </summary>
internal sealed class SyntheticGroupPhoto : IDisposable
{
    private readonly List<(Image<Rgb24> Photo, RectangleF Box, RectangleF[] Others)> _faces = [];

    /// <summary>Loads the labelled faces of the dlib photos.</summary>
    public SyntheticGroupPhoto(IReadOnlyList<LabelledPhoto> labelled)
    {
        foreach (LabelledPhoto photo in labelled.Where(p => p.Boxes is { Count: > 0 }))
        {
            Image<Rgb24> image = Image.Load<Rgb24>(photo.Path);
            foreach (RectangleF box in photo.Boxes!)
            {
                // The neighbours, a little larger than their boxes, to cut around. A face that a neighbour's hole
                // would cut into is left out: half a face is no test of the detector.
                RectangleF[] others = [.. photo.Boxes!.Where(b => b != box).Select(b => RectangleF.Inflate(b, 0.15f * b.Width, 0.25f * b.Height))];
                if (!others.Any(o => o.IntersectsWith(box)))
                {
                    _faces.Add((image, box, others));
                }
            }
        }
    }

    /// <summary>Gets the number of distinct faces; larger photos use them again.</summary>
    public int Distinct => _faces.Count;

    /// <summary>
    /// Builds a photo of <paramref name="width"/> x <paramref name="height"/> with <paramref name="count"/> faces
    /// whose boxes are <paramref name="faceSize"/> pixels wide, one in each cell of a grid, moved within the cell
    /// by a seeded random amount.
    /// </summary>
    /// <returns>The photo, which the caller disposes, and each face's box in it.</returns>
    public (Image<Rgb24> Photo, RectangleF[] Faces) Create(int width, int height, int count, float faceSize, int seed = 1)
    {
        var random = new Random(seed);
        var canvas = new Image<Rgb24>(width, height);
        Background(canvas, random);
        int columns = (int)Math.Ceiling(Math.Sqrt(count * (double)width / height));
        int rows = (int)Math.Ceiling(count / (double)columns);
        float cellW = width / (float)columns, cellH = height / (float)rows;
        if (cellW < 1.6f * faceSize || cellH < 2f * faceSize)
        {
            throw new ArgumentException($"{count} faces of {faceSize} px do not fit in {width} x {height}.", nameof(count));
        }

        var boxes = new RectangleF[count];
        for (int i = 0; i < count; i++)
        {
            (Image<Rgb24> source, RectangleF box, RectangleF[] others) = _faces[i % _faces.Count];
            float scale = faceSize / box.Width;

            // The cut-out: an ellipse 1.5 boxes wide and 1.8 high, raised a little for the hair.
            var region = new RectangleF(box.X - (0.25f * box.Width), box.Y - (0.5f * box.Height), 1.5f * box.Width, 1.8f * box.Height);
            var clipped = Rectangle.Intersect(Rectangle.Round(region), source.Bounds());
            int outW = Math.Max(1, (int)MathF.Round(clipped.Width * scale)), outH = Math.Max(1, (int)MathF.Round(clipped.Height * scale));
            using Image<Rgb24> cut = source.Clone(x => x.Crop(clipped).Resize(outW, outH, KnownResamplers.Triangle));

            float cx = (i % columns * cellW) + (cellW / 2) + ((float)(random.NextDouble() - 0.5) * (cellW - (1.6f * faceSize)));
            float cy = (i / columns * cellH) + (cellH / 2) + ((float)(random.NextDouble() - 0.5) * (cellH - (2f * faceSize)));
            int left = (int)MathF.Round(cx - (outW / 2f)), top = (int)MathF.Round(cy - (outH / 2f));
            boxes[i] = new RectangleF(left + ((box.X - clipped.X) * scale), top + ((box.Y - clipped.Y) * scale), box.Width * scale, box.Height * scale);
            RectangleF[] holes = [.. others.Select(o => new RectangleF((o.X - clipped.X) * scale, (o.Y - clipped.Y) * scale, o.Width * scale, o.Height * scale))];
            Paste(canvas, cut, left, top, (region.X + (region.Width / 2) - clipped.X) * scale, (region.Y + (region.Height / 2) - clipped.Y) * scale, region.Width * scale / 2, region.Height * scale / 2, holes);
        }

        return (canvas, boxes);
    }

    /// <summary>Frees the source photos.</summary>
    public void Dispose()
    {
        foreach (Image<Rgb24> image in _faces.Select(f => f.Photo).Distinct())
        {
            image.Dispose();
        }
    }

    /// <summary>A smooth two-colour gradient with blotches of noise: something, but nothing like a face.</summary>
    private static void Background(Image<Rgb24> canvas, Random random)
    {
        int w = canvas.Width, h = canvas.Height;
        byte[] noise = new byte[((w / 8) + 2) * ((h / 8) + 2)];
        random.NextBytes(noise);
        canvas.ProcessPixelRows(rows =>
        {
            for (int y = 0; y < h; y++)
            {
                Span<Rgb24> row = rows.GetRowSpan(y);
                float t = y / (float)h;
                for (int x = 0; x < w; x++)
                {
                    int n = (noise[((y / 8) * ((w / 8) + 2)) + (x / 8)] / 8) - 16;
                    float u = x / (float)w;
                    row[x] = new Rgb24(
                        (byte)Math.Clamp((int)(70 + (90 * u) + n), 0, 255),
                        (byte)Math.Clamp((int)(90 + (60 * t) + n), 0, 255),
                        (byte)Math.Clamp((int)(120 - (50 * u) + n), 0, 255));
                }
            }
        });
    }

    /// <summary>Blends a cut-out onto the canvas through an ellipse with a soft edge, leaving out the holes.</summary>
    private static void Paste(Image<Rgb24> canvas, Image<Rgb24> cut, int left, int top, float ex, float ey, float rx, float ry, RectangleF[] holes)
    {
        for (int y = 0; y < cut.Height; y++)
        {
            int cy = top + y;
            if ((uint)cy >= (uint)canvas.Height)
            {
                continue;
            }

            for (int x = 0; x < cut.Width; x++)
            {
                int cx = left + x;
                if ((uint)cx >= (uint)canvas.Width)
                {
                    continue;
                }

                float dx = (x - ex) / rx, dy = (y - ey) / ry;
                float d = MathF.Sqrt((dx * dx) + (dy * dy));
                float a = Math.Clamp((1f - d) / 0.15f, 0f, 1f);
                if (a <= 0 || holes.Any(h => h.Contains(x, y)))
                {
                    continue;
                }

                Rgb24 s = cut[x, y], b = canvas[cx, cy];
                canvas[cx, cy] = new Rgb24(
                    (byte)MathF.Round((a * s.R) + ((1 - a) * b.R)),
                    (byte)MathF.Round((a * s.G) + ((1 - a) * b.G)),
                    (byte)MathF.Round((a * s.B) + ((1 - a) * b.B)));
            }
        }
    }
}
