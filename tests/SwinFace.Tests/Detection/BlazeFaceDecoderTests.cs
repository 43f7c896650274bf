using SwinFace.Detection;

namespace SwinFace.Tests.Detection;

/// <summary>Anchor decoding and weighted non-maximum suppression on synthetic outputs: no model needed.</summary>
public sealed class BlazeFaceDecoderTests
{
    [Fact]
    public void DecodeLayer_PlacesBoxesAndKeypointsRelativeToTheirAnchor()
    {
        // A 2 x 2 grid with one anchor per cell; only anchor 3 (cell x=1, y=1, centre 0.75, 0.75) fires.
        float[] scores = [-5f, -5f, -5f, 3f];
        float[] boxes = new float[4 * 16];
        float[] raw = [8f, -4f, 32f, 16f, 0f, 0f, 16f, 0f, 8f, 8f, 8f, 16f, -16f, 0f, 32f, 0f];
        raw.CopyTo(boxes, 3 * 16);
        var output = new List<Candidate>();

        // Identity mapping to an image of 128 pixels.
        BlazeFaceDecoder.DecodeLayer(scores, boxes, 2, 1, 128, 0.5f, (u, v) => (u * 128, v * 128), 128, output);

        Candidate c = Assert.Single(output);
        Assert.Equal(1f / (1f + MathF.Exp(-3f)), c.Score, 6);
        Assert.Equal((96f + 8f, 96f - 4f, 32f, 16f), (c.Geometry[0], c.Geometry[1], c.Geometry[2], c.Geometry[3]));
        Assert.Equal((96f + 16f, 96f), (c.Geometry[6], c.Geometry[7]));
        Assert.Equal((96f - 16f, 96f), (c.Geometry[12], c.Geometry[13]));
    }

    [Fact]
    public void DecodeLayer_DropsScoresUnderTheThreshold()
    {
        var output = new List<Candidate>();
        BlazeFaceDecoder.DecodeLayer([0f], new float[16], 1, 1, 128, 0.51f, (u, v) => (u, v), 1, output);
        Assert.Empty(output);
        BlazeFaceDecoder.DecodeLayer([0f], new float[16], 1, 1, 128, 0.5f, (u, v) => (u, v), 1, output);
        Assert.Single(output);
    }

    [Fact]
    public void WeightedNms_AveragesOverlappingDetectionsByScoreAndKeepsTheBestScore()
    {
        Candidate a = Box(100, 100, 50, 0.9f);
        Candidate b = Box(110, 100, 50, 0.3f);
        Candidate far = Box(400, 400, 50, 0.5f);

        List<Candidate> merged = BlazeFaceDecoder.WeightedNms([b, far, a], 0.3f);

        Assert.Equal(2, merged.Count);
        Assert.Equal(0.9f, merged[0].Score);
        Assert.Equal(((100f * 0.9f) + (110f * 0.3f)) / 1.2f, merged[0].Geometry[0], 4);
        Assert.Equal(0.5f, merged[1].Score);
        Assert.Equal(400f, merged[1].Geometry[0]);
    }

    [Fact]
    public void WeightedNms_KeepsDetectionsThatOverlapLessThanTheThreshold()
    {
        // Same size, shifted by 40 of 50: IoU = 10 / 90.
        List<Candidate> kept = BlazeFaceDecoder.WeightedNms([Box(100, 100, 50, 0.9f), Box(140, 100, 50, 0.8f)], 0.3f);
        Assert.Equal(2, kept.Count);
    }

    private static Candidate Box(float cx, float cy, float size, float score)
    {
        float[] g = new float[Candidate.Values];
        (g[0], g[1], g[2], g[3]) = (cx, cy, size, size);
        return new Candidate { Geometry = g, Score = score };
    }
}
