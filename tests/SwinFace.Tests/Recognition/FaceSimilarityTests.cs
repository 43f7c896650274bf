using SwinFace.Recognition;

namespace SwinFace.Tests.Recognition;

/// <summary>Comparing two embeddings, with and without a threshold.</summary>
public sealed class FaceSimilarityTests
{
    [Fact]
    public void Cosine_IsTheAngleCosineOfUnnormalisedVectors()
    {
        Assert.Equal(1 / MathF.Sqrt(2), FaceSimilarity.Cosine([2f, 0f, 0f], [3f, 3f, 0f]), 6);
        Assert.Equal(-1f, FaceSimilarity.Cosine([1f, 2f], [-2f, -4f]), 6);
        Assert.Equal(0f, FaceSimilarity.Cosine([1f, 0f], [0f, 5f]), 6);
    }

    [Fact]
    public void Cosine_ThrowsForMismatchedOrEmptyEmbeddings()
    {
        Assert.Throws<ArgumentException>(() => FaceSimilarity.Cosine([1f, 2f], [1f]));
        Assert.Throws<ArgumentException>(() => FaceSimilarity.Cosine([], []));
    }

    [Fact]
    public void Compare_GivesNoVerdictWithoutAThreshold()
    {
        Comparison c = FaceSimilarity.Compare([1f, 0f], [1f, 0f]);
        Assert.Equal(1f, c.Similarity, 6);
        Assert.Null(c.IsSamePerson);
    }

    [Fact]
    public void Compare_AcceptsSimilaritiesAtOrAboveTheThreshold()
    {
        VerificationThreshold t = VerificationThreshold.AtBestAccuracy(0.5f, 6000, "LFW");
        Assert.True(FaceSimilarity.Compare([1f, 0f], [1f, 1f], t).IsSamePerson); // 0.707
        Assert.False(FaceSimilarity.Compare([1f, 0f], [1f, 3f], t).IsSamePerson); // 0.316
        Assert.True(t.Accepts(0.5f));
        Assert.False(t.Accepts(MathF.BitDecrement(0.5f)));
    }

    [Fact]
    public void VerificationThreshold_RecordsHowItWasMeasured()
    {
        VerificationThreshold far = VerificationThreshold.AtFalseAcceptRate(0.3f, 1e-3, 6000, "LFW");
        Assert.Equal(ThresholdRule.TargetFalseAcceptRate, far.Rule);
        Assert.Equal(1e-3, far.TargetFalseAcceptRate);
        Assert.Equal(6000, far.PairCount);
        Assert.Equal("LFW", far.Dataset);

        VerificationThreshold best = VerificationThreshold.AtBestAccuracy(0.3f, 6000);
        Assert.Equal(ThresholdRule.BestAccuracy, best.Rule);
        Assert.Null(best.TargetFalseAcceptRate);
        Assert.Null(best.Dataset);
        Assert.NotEqual(far, best);
    }

    [Fact]
    public void VerificationThreshold_ThrowsForInvalidValues()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => VerificationThreshold.AtBestAccuracy(float.NaN, 10));
        Assert.Throws<ArgumentOutOfRangeException>(() => VerificationThreshold.AtBestAccuracy(0.3f, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => VerificationThreshold.AtFalseAcceptRate(0.3f, 0, 10));
        Assert.Throws<ArgumentOutOfRangeException>(() => VerificationThreshold.AtFalseAcceptRate(0.3f, 1, 10));
        Assert.Throws<ArgumentOutOfRangeException>(() => VerificationThreshold.AtFalseAcceptRate(0.3f, double.NaN, 10));
    }
}
