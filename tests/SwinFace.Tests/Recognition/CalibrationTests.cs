using SwinFace.Recognition;

namespace SwinFace.Tests.Recognition;

/// <summary>Verification metrics against cases worked out by hand and against known score distributions.</summary>
public sealed class CalibrationTests
{
    /// <summary>
    /// Same {0.9, 0.8, 0.6, 0.4}, different {0.7, 0.5, 0.3, 0.2}. From the top, accepted (same, different):
    /// 0.9 (1,0), 0.8 (2,0), 0.7 (2,1), 0.6 (3,1), 0.5 (3,2), 0.4 (4,2), 0.3 (4,3), 0.2 (4,4).
    /// </summary>
    private static readonly ScoredPair[] CaseA =
    [
        new(0.9f, true), new(0.8f, true), new(0.6f, true), new(0.4f, true),
        new(0.7f, false), new(0.5f, false), new(0.3f, false), new(0.2f, false),
    ];

    [Fact]
    public void Run_MatchesAHandComputedCase()
    {
        VerificationMetrics m = Calibration.Run(CaseA).Overall;

        Assert.Equal(4, m.SamePersonPairs);
        Assert.Equal(4, m.DifferentPersonPairs);
        // Same beats different in 4 + 4 + 3 + 2 = 13 of 16 combinations.
        Assert.Equal(13 / 16.0, m.Auc, 12);
        // FAR - FRR: 0.7 gives 0.25 - 0.5 < 0, 0.6 gives 0.25 - 0.25 = 0: they meet at 0.6.
        Assert.Equal(0.25, m.Eer, 12);
        Assert.Equal(0.6f, m.EerThreshold, 6);
        // Correct: 0.8 -> 2 + 4, 0.6 -> 3 + 3, 0.4 -> 4 + 2 all give 6 of 8; the highest threshold wins.
        Assert.Equal(0.75, m.BestAccuracy, 12);
        Assert.Equal(0.8f, m.BestAccuracyThreshold);
        // Four different-person pairs are too few for any FAR from 1e-1 down.
        Assert.Equal([1e-1, 1e-2, 1e-3, 1e-4], m.TarAtFar.Select(p => p.TargetFalseAcceptRate));
        Assert.All(m.TarAtFar, p => Assert.Null(p.TrueAcceptRate));
        Assert.All(m.TarAtFar, p => Assert.Null(p.Threshold));
        Assert.Null(m.TenFold);
    }

    [Fact]
    public void Run_RocKeepsTheCornersOfTheStepCurve()
    {
        VerificationMetrics m = Calibration.Run(CaseA).Overall;

        // (0, 0.25) sits inside the vertical run at FAR 0 and (0.75, 1) inside the horizontal run at TAR 1.
        RocPoint[] expected =
        [
            new(0, 0, MathF.BitIncrement(0.9f)),
            new(0, 0.5, 0.8f),
            new(0.25, 0.5, 0.7f),
            new(0.25, 0.75, 0.6f),
            new(0.5, 0.75, 0.5f),
            new(0.5, 1, 0.4f),
            new(1, 1, 0.2f),
        ];
        Assert.Equal(expected, m.Roc);
    }

    [Fact]
    public void Run_TreatsTiedSimilaritiesAsOneStep()
    {
        // Same {0.8, 0.5, 0.5}, different {0.5, 0.2}. Accepted: 0.8 (1,0), 0.5 (3,1), 0.2 (3,2).
        ScoredPair[] pairs = [new(0.8f, true), new(0.5f, true), new(0.5f, true), new(0.5f, false), new(0.2f, false)];
        VerificationMetrics m = Calibration.Run(pairs).Overall;

        // P(same > different) + P(tie) / 2 = (2 + 0 + 0 + 2) / 6 + (2 / 6) / 2 = 5 / 6.
        Assert.Equal(5 / 6.0, m.Auc, 12);
        // FAR - FRR is -2/3 at 0.8 and 1/2 - 0 = 1/2 at 0.5: the diagonal step crosses at lambda = (2/3) / (7/6) = 4/7,
        // where FAR = 4/7 * 1/2 = 2/7 and the threshold is 0.8 - 4/7 * 0.3.
        Assert.Equal(2 / 7.0, m.Eer, 12);
        Assert.Equal(0.8f - (4 / 7f * 0.3f), m.EerThreshold, 5);
        // Correct: 0.8 -> 1 + 2, 0.5 -> 3 + 1, 0.2 -> 3 + 0.
        Assert.Equal(0.8, m.BestAccuracy, 12);
        Assert.Equal(0.5f, m.BestAccuracyThreshold);
        Assert.Equal([new RocPoint(0, 0, MathF.BitIncrement(0.8f)), new(0, 1 / 3.0, 0.8f), new(0.5, 1, 0.5f), new(1, 1, 0.2f)], m.Roc);
    }

    [Fact]
    public void Run_ReportsTarAtFarAtTheLowestThresholdWithinTheTarget()
    {
        // Ten different-person pairs allow FAR 1e-1 (one false accept) and nothing lower. The second-highest
        // different-person similarity is 0.5, so the lowest threshold accepting one is the next similarity
        // above it, 0.55: it accepts 0.9, 0.65, 0.6, 0.55 of the same-person pairs and 0.7 of the others.
        ScoredPair[] pairs =
        [
            .. new[] { 0.05f, 0.1f, 0.15f, 0.2f, 0.25f, 0.3f, 0.35f, 0.4f, 0.5f, 0.7f }.Select(s => new ScoredPair(s, false)),
            .. new[] { 0.9f, 0.65f, 0.6f, 0.55f, 0.45f }.Select(s => new ScoredPair(s, true)),
        ];
        CalibrationReport report = Calibration.Run(pairs, "hand");

        OperatingPoint p = report.Overall.TarAtFar[0];
        Assert.Equal(0.8, p.TrueAcceptRate);
        Assert.Equal(0.1, p.FalseAcceptRate);
        Assert.Equal(0.55f, p.Threshold);
        Assert.All(report.Overall.TarAtFar.Skip(1), q => Assert.Null(q.TrueAcceptRate));

        VerificationThreshold t = report.ThresholdAtFalseAcceptRate(0.1);
        Assert.Equal(VerificationThreshold.AtFalseAcceptRate(0.55f, 0.1, 15, "hand"), t);
        // FAR 0.2 allows two: the third-highest is 0.4, so the threshold is 0.45 and accepts every same-person pair.
        Assert.Equal(0.45f, report.ThresholdAtFalseAcceptRate(0.2).Value);
        ArgumentException e = Assert.Throws<ArgumentException>(() => report.ThresholdAtFalseAcceptRate(0.01));
        Assert.Contains("100 different-person pairs", e.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentOutOfRangeException>(() => report.ThresholdAtFalseAcceptRate(0));
        Assert.Equal(VerificationThreshold.AtBestAccuracy(report.Overall.BestAccuracyThreshold, 15, "hand"), report.ThresholdAtBestAccuracy());
    }

    [Fact]
    public void Run_TarAtFarRejectsTiedFalseAcceptsTogether()
    {
        // The two highest different-person similarities tie at 0.7: accepting one accepts both, which FAR 1e-1
        // (one of ten) does not allow, so the threshold rises to 0.9.
        ScoredPair[] pairs =
        [
            .. new[] { 0.05f, 0.1f, 0.15f, 0.2f, 0.25f, 0.3f, 0.35f, 0.4f, 0.7f, 0.7f }.Select(s => new ScoredPair(s, false)),
            .. new[] { 0.9f, 0.65f, 0.6f, 0.55f, 0.45f }.Select(s => new ScoredPair(s, true)),
        ];
        OperatingPoint p = Calibration.Run(pairs).Overall.TarAtFar[0];
        Assert.Equal(0.2, p.TrueAcceptRate);
        Assert.Equal(0, p.FalseAcceptRate);
        Assert.Equal(0.9f, p.Threshold);
    }

    [Fact]
    public void Run_MatchesTwoGaussians()
    {
        // Same N(0.6, 0.1), different N(0.1, 0.1), 20,000 each. Expected values from the normal CDF Phi:
        // AUC = Phi(0.5 / sqrt(0.02)) = 0.99980, EER = 1 - Phi(2.5) = 0.00621, best accuracy = Phi(2.5) = 0.99379,
        // TAR@1e-2 = Phi((0.6 - 0.1 - 0.1 * 2.3263) / 0.1) = 0.99625, TAR@1e-3 = Phi(5 - 3.0902) = 0.97192.
        // Tolerances are about three standard errors at this sample size.
        var random = new Random(20240601);
        var pairs = new List<ScoredPair>();
        for (int i = 0; i < 20_000; i++)
        {
            pairs.Add(new ScoredPair((float)RecognitionTestData.Gaussian(random, 0.6, 0.1), true));
            pairs.Add(new ScoredPair((float)RecognitionTestData.Gaussian(random, 0.1, 0.1), false));
        }

        VerificationMetrics m = Calibration.Run(pairs).Overall;

        Assert.InRange(m.Auc, 0.99980 - 2e-4, 0.99980 + 2e-4);
        Assert.InRange(m.Eer, 0.00621 - 0.0015, 0.00621 + 0.0015);
        Assert.InRange(m.EerThreshold, 0.35f - 0.02f, 0.35f + 0.02f);
        Assert.InRange(m.BestAccuracy, 0.99379 - 0.0015, 0.99379 + 0.0015);
        Assert.InRange(m.TarAtFar[1].TrueAcceptRate!.Value, 0.99625 - 0.003, 0.99625 + 0.003);
        Assert.InRange(m.TarAtFar[2].TrueAcceptRate!.Value, 0.97192 - 0.012, 0.97192 + 0.012);
        Assert.All(m.TarAtFar, p => Assert.InRange(p.FalseAcceptRate!.Value, 0, p.TargetFalseAcceptRate));
        Assert.NotNull(m.TarAtFar[3].TrueAcceptRate); // 20,000 different-person pairs reach 1e-4
        Assert.InRange(m.TenFold!.Mean, 0.99379 - 0.002, 0.99379 + 0.002);
        Assert.InRange(m.TenFold.StandardDeviation, 0, 0.004);
    }

    [Fact]
    public void Run_TenFoldUsesContiguousBlocksAndThresholdsFromTheOtherFolds()
    {
        // Folds 0-8 each hold one same (0.8) and one different (0.2) pair; fold 9 holds an inverted pair
        // (same 0.1, different 0.9). Every training set's best threshold is 0.8: it scores folds 0-8 perfectly
        // and fold 9 at 0. Folds taken as i % 10 would split the inverted pair over folds 8 and 9 instead.
        var pairs = new List<ScoredPair>();
        for (int f = 0; f < 9; f++)
        {
            pairs.Add(new ScoredPair(0.8f, true));
            pairs.Add(new ScoredPair(0.2f, false));
        }

        pairs.Add(new ScoredPair(0.1f, true));
        pairs.Add(new ScoredPair(0.9f, false));

        TenFoldAccuracy tenFold = Calibration.Run(pairs).Overall.TenFold!;
        Assert.Equal([1, 1, 1, 1, 1, 1, 1, 1, 1, 0], tenFold.Folds);
        Assert.Equal(0.9, tenFold.Mean, 12);
        Assert.Equal(0.3, tenFold.StandardDeviation, 12);
    }

    [Fact]
    public void Run_MeasuresEachGroupAndTheGapsBetweenThem()
    {
        // Group A is the hand-computed case (EER 1/4). Group B: same {0.9, 0.8, 0.25}, different {0.3, 0.1};
        // FAR - FRR is -1/3 at 0.8 and 1/2 - 1/3 = 1/6 at 0.3, crossing at lambda = 2/3: EER = 1/3.
        // All 13 pairs: the best threshold is 0.8 (10 correct). At 0.8, A scores 6/8 and B 4/5.
        ScoredPair[] pairs =
        [
            .. CaseA.Select(p => p with { Group = "A" }),
            new(0.9f, true, "B"), new(0.8f, true, "B"), new(0.25f, true, "B"), new(0.3f, false, "B"), new(0.1f, false, "B"),
        ];
        CalibrationReport report = Calibration.Run(pairs);

        Assert.Equal(0.8f, report.Overall.BestAccuracyThreshold);
        Assert.Equal(["A", "B"], report.Groups.Select(g => g.Name));
        Assert.Equal(Calibration.Run(CaseA).Overall.Auc, report.Groups[0].Metrics.Auc);
        Assert.Equal(5 / 6.0, report.Groups[1].Metrics.Auc, 12);
        Assert.Equal(1 / 3.0, report.Groups[1].Metrics.Eer, 12);
        Assert.Equal(0.75, report.Groups[0].AccuracyAtGlobalThreshold, 12);
        Assert.Equal(0.8, report.Groups[1].AccuracyAtGlobalThreshold, 12);
        GroupGaps gaps = report.Gaps!;
        Assert.Equal(0.05, gaps.AccuracyAtGlobalThreshold, 12);
        Assert.Equal((1 / 3.0) - 0.25, gaps.Eer, 12);
        Assert.All(gaps.TarAtFar, g => Assert.Null(g.Gap));
    }

    [Fact]
    public void Run_GapsTarWhereEachGroupCanMeasureIt()
    {
        // Both groups have different-person pairs 0.05 ... 0.5; FAR 1e-1 allows one, so the threshold must exceed 0.45.
        // X: same {0.9, 0.8, 0.7, 0.6}, threshold 0.5, TAR 1. Y: same {0.9, 0.48, 0.3, 0.2}, threshold 0.48, TAR 1/2.
        float[] different = [0.05f, 0.1f, 0.15f, 0.2f, 0.25f, 0.3f, 0.35f, 0.4f, 0.45f, 0.5f];
        ScoredPair[] pairs =
        [
            .. different.Select(s => new ScoredPair(s, false, "X")),
            .. new[] { 0.9f, 0.8f, 0.7f, 0.6f }.Select(s => new ScoredPair(s, true, "X")),
            .. different.Select(s => new ScoredPair(s, false, "Y")),
            .. new[] { 0.9f, 0.48f, 0.3f, 0.2f }.Select(s => new ScoredPair(s, true, "Y")),
        ];
        CalibrationReport report = Calibration.Run(pairs);

        Assert.Equal(0.5f, report.Groups[0].Metrics.TarAtFar[0].Threshold);
        Assert.Equal(0.48f, report.Groups[1].Metrics.TarAtFar[0].Threshold);
        Assert.Equal(new TarGap(0.1, 0.5), report.Gaps!.TarAtFar[0]);
        Assert.Null(report.Gaps.TarAtFar[1].Gap);
    }

    [Fact]
    public void Run_LeavesUngroupedPairsOutOfTheGroups()
    {
        ScoredPair[] pairs = [.. CaseA.Select((p, i) => i % 2 == 0 ? p with { Group = "only" } : p)];
        CalibrationReport report = Calibration.Run(pairs);
        Assert.Equal("only", Assert.Single(report.Groups).Name);
        Assert.Equal(4, report.Groups[0].Metrics.SamePersonPairs + report.Groups[0].Metrics.DifferentPersonPairs);
        Assert.Null(report.Gaps);
    }

    [Fact]
    public void Run_ThrowsForUnusablePairs()
    {
        Assert.Throws<ArgumentNullException>(() => Calibration.Run(null!));
        Assert.Throws<ArgumentException>(() => Calibration.Run([]));
        Assert.Throws<ArgumentException>(() => Calibration.Run([new(0.5f, true), new(0.4f, true)]));
        Assert.Throws<ArgumentException>(() => Calibration.Run([new(float.NaN, true), new(0.4f, false)]));
        ArgumentException e = Assert.Throws<ArgumentException>(() => Calibration.Run([.. CaseA, new(0.5f, true, "lonely")]));
        Assert.Contains("'lonely'", e.Message, StringComparison.Ordinal);
    }
}
