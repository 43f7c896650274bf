using SwinFace.Detection;

namespace SwinFace.Tests.Detection;

/// <summary>YuNet's grid decoding, the suppression and the passes' scales, on synthetic values: no model needed.</summary>
public sealed class YuNetDecoderTests
{
    [Fact]
    public void DecodeGrid_AppliesTheDocumentedFormula()
    {
        // A 2 x 3 grid of stride 8; only the cell in row 1, column 2 (index 5) fires.
        float[] cls = new float[6], obj = new float[6], bbox = new float[24], kps = new float[60];
        cls[5] = 0.81f;
        obj[5] = 1f;
        float[] box = [0.5f, 0.25f, MathF.Log(2f), MathF.Log(3f)];
        box.CopyTo(bbox, 5 * 4);
        float[] points = [-0.5f, -0.5f, 0.5f, -0.5f, 0f, 0f, -0.25f, 0.5f, 0.25f, 0.5f];
        points.CopyTo(kps, 5 * 10);
        var output = new List<YuNetCandidate>();

        YuNetDecoder.DecodeGrid(cls, obj, bbox, kps, 2, 3, 8, 0.5f, output);

        YuNetCandidate c = Assert.Single(output);
        Assert.Equal(0.9f, c.Score, 6); // sqrt(0.81 x 1)

        // Centre ((2 + 0.5) 8, (1 + 0.25) 8) = (20, 10), size (2 x 8, 3 x 8) = (16, 24).
        Assert.Equal([12f, -2f, 28f, 22f], c.Geometry[..4].Select(v => MathF.Round(v, 4)));

        // Point k = ((px + 2) 8, (py + 1) 8).
        Assert.Equal([12f, 4f, 20f, 4f, 16f, 8f, 14f, 12f, 18f, 12f], c.Geometry[4..].Select(v => MathF.Round(v, 4)));
    }

    [Fact]
    public void DecodeGrid_KeepsScoresAtTheThresholdAndDropsThoseBelow()
    {
        var output = new List<YuNetCandidate>();
        YuNetDecoder.DecodeGrid([0.36f], [1f], new float[4], new float[10], 1, 1, 32, 0.61f, output);
        Assert.Empty(output);
        YuNetDecoder.DecodeGrid([0.36f], [1f], new float[4], new float[10], 1, 1, 32, 0.6f, output);
        Assert.Single(output);
    }

    [Fact]
    public void DecodeGrid_ClampsScoresOutsideZeroToOneAndDropsInfiniteBoxes()
    {
        var output = new List<YuNetCandidate>();

        // A negative objectness would make the square root NaN; clamped, the score is 0.
        YuNetDecoder.DecodeGrid([1f], [-0.5f], new float[4], new float[10], 1, 1, 8, 0f, output);
        Assert.Equal(0f, Assert.Single(output).Score);

        // exp(1000) overflows: such a box cannot be placed, so it is dropped.
        YuNetDecoder.DecodeGrid([1f], [1f], [0f, 0f, 1000f, 0f], new float[10], 1, 1, 8, 0.5f, output);
        Assert.Single(output);
    }

    [Fact]
    public void DecodeGrid_ThrowsWhenAnOutputIsTooShortForTheGrid()
    {
        var output = new List<YuNetCandidate>();
        Assert.Throws<ArgumentException>(() => YuNetDecoder.DecodeGrid(new float[4], new float[4], new float[16], new float[39], 2, 2, 8, 0.5f, output));
        Assert.Throws<ArgumentException>(() => YuNetDecoder.DecodeGrid(new float[3], new float[4], new float[16], new float[40], 2, 2, 8, 0.5f, output));
    }

    [Fact]
    public void Suppress_KeepsTheStrongestOfOverlappingBoxesAndEveryBoxApart()
    {
        YuNetCandidate a = Box(0, 0, 10, 10, 0.7f), b = Box(1, 0, 11, 10, 0.9f), c = Box(20, 20, 30, 30, 0.65f);

        List<YuNetCandidate> kept = YuNetDecoder.Suppress([a, b, c], 0.3f);

        Assert.Equal([0.9f, 0.65f], kept.Select(k => k.Score));
    }

    [Fact]
    public void Suppress_KeepsABoxThatOverlapsByExactlyTheThreshold()
    {
        // Two 10 x 10 boxes sharing 5 x 10: IoU = 50 / 150 = 1/3.
        YuNetCandidate a = Box(0, 0, 10, 10, 0.9f), b = Box(5, 0, 15, 10, 0.8f);
        Assert.Equal(2, YuNetDecoder.Suppress([a, b], 1f / 3f + 1e-6f).Count);
        Assert.Single(YuNetDecoder.Suppress([a, b], 0.3f));
    }

    [Fact]
    public void Suppress_BreaksTiesInScoreByInputOrder()
    {
        YuNetCandidate a = Box(0, 0, 10, 10, 0.8f), b = Box(1, 1, 11, 11, 0.8f);
        Assert.Same(a.Geometry, Assert.Single(YuNetDecoder.Suppress([a, b], 0.3f)).Geometry);
        Assert.Same(b.Geometry, Assert.Single(YuNetDecoder.Suppress([b, a], 0.3f)).Geometry);
    }

    [Theory]
    [InlineData(500, 375, new[] { 1f })] // short side under 384: one pass at full size
    [InlineData(1024, 1024, new[] { 1f, 1f / 3 })]
    [InlineData(2000, 1000, new[] { 1f, 1f / 3 })] // exactly 2 MP
    [InlineData(4000, 3000, new[] { 0.40825f, 0.13608f, 0.04536f })] // 12 MP: sqrt(2 / 12), then short sides 1225, 408, 136
    [InlineData(10000, 10000, new[] { 0.14142f, 0.04714f, 0.01571f })] // 100 MP
    [InlineData(20000, 400, new[] { 0.5f })] // a panorama: the pixel budget, not the long side, sets the scale
    public void Scales_ShrinkToThePixelBudgetThenByThirdsUntilTheShortSideIsSmall(int width, int height, float[] expected)
    {
        float[] scales = YuNetDetector.Scales(width, height, 2_000_000);
        Assert.Equal(expected.Length, scales.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.True(MathF.Abs(expected[i] - scales[i]) < 1e-4f, $"pass {i}: {scales[i]}, expected {expected[i]}");
        }

        Assert.True(Math.Min(width, height) * scales[^1] <= YuNetDetector.CoarsestSide);
    }

    [Theory]
    [InlineData(1, 100_000_000)]
    [InlineData(100_000_000, 1)]
    [InlineData(20, 5_000_000)]
    public void Scales_KeepTheInputOfAThinPhotoWithinTheBudgetOncePadded(int width, int height)
    {
        // Padded to multiples of 32, a photo 1 px wide at the scale its pixel count allows (0.2) would be an input
        // of 32 x 20,000,000: the first scale must shrink it until the padded input fits twice the budget.
        float[] scales = YuNetDetector.Scales(width, height, 4_000_000);
        long padded = (long)Pad(YuNetDetector.Side(width, scales[0])) * Pad(YuNetDetector.Side(height, scales[0]));
        Assert.InRange(padded, 4_000_000, 8_000_000);
        Assert.Single(scales);

        static int Pad(int side) => (side + 31) / 32 * 32;
    }

    private static YuNetCandidate Box(float left, float top, float right, float bottom, float score)
    {
        float[] g = new float[YuNetCandidate.Values];
        (g[0], g[1], g[2], g[3]) = (left, top, right, bottom);
        return new YuNetCandidate { Geometry = g, Score = score };
    }
}
