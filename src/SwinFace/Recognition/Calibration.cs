namespace SwinFace.Recognition;

/// <summary>One labelled pair of faces and the similarity of their embeddings.</summary>
/// <param name="Similarity">The cosine similarity of the two faces' embeddings.</param>
/// <param name="Same">Whether the two faces show the same person.</param>
/// <param name="Group">
/// A group label, such as a demographic or a capture condition, for per-group metrics; <see langword="null"/>
/// for none. A pair belongs to the group whose name equals its label (ordinal comparison).
/// </param>
public readonly record struct ScoredPair(float Similarity, bool Same, string? Group = null);

/// <summary>Measures how well similarities separate same-person from different-person pairs, and chooses thresholds.</summary>
/// <remarks>
/// <para>
/// Throughout, a pair is accepted ("same person") when its similarity is at least the threshold. The
/// false accept rate (FAR) is the share of different-person pairs accepted, the true accept rate (TAR)
/// the share of same-person pairs accepted. Pairs with equal similarities are accepted or rejected
/// together, so the ROC curve takes one (possibly diagonal) step per distinct similarity.
/// </para>
/// <para>
/// SwinFace publishes no verification threshold; this is how to measure one for your data.
/// </para>
/// </remarks>
public static class Calibration
{
    /// <summary>The false accept rates at which the true accept rate is reported.</summary>
    internal static readonly double[] FalseAcceptRates = [1e-1, 1e-2, 1e-3, 1e-4];

    private const int Folds = 10;

    /// <summary>Computes the verification metrics of labelled pairs, overall and per group.</summary>
    /// <param name="pairs">The pairs, in a fixed order: the 10 folds are contiguous blocks of it, as in the LFW protocol.</param>
    /// <param name="dataset">A name for the data set, recorded in the report and in thresholds chosen from it.</param>
    /// <returns>The report.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="pairs"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">
    /// A similarity is not finite, or the pairs (or the pairs of one group) lack same-person or different-person pairs.
    /// </exception>
    public static CalibrationReport Run(IReadOnlyList<ScoredPair> pairs, string? dataset = null)
    {
        ArgumentNullException.ThrowIfNull(pairs);
        var scores = new float[pairs.Count];
        var same = new bool[pairs.Count];
        for (int i = 0; i < pairs.Count; i++)
        {
            if (!float.IsFinite(pairs[i].Similarity))
            {
                throw new ArgumentException($"Pair {i} has similarity {pairs[i].Similarity}; similarities must be finite.", nameof(pairs));
            }

            scores[i] = pairs[i].Similarity;
            same[i] = pairs[i].Same;
        }

        RequireBothKinds(same, "The pairs", nameof(pairs));
        var sweep = Sweep.Build(scores, same);
        VerificationMetrics overall = Measure(sweep, scores, same);

        var groups = new List<GroupMetrics>();
        IEnumerable<IGrouping<string, int>> members = Enumerable.Range(0, pairs.Count)
            .Where(i => pairs[i].Group is not null)
            .GroupBy(i => pairs[i].Group!, StringComparer.Ordinal)
            .OrderBy(g => g.Key, StringComparer.Ordinal);
        foreach (IGrouping<string, int> group in members)
        {
            float[] groupScores = group.Select(i => scores[i]).ToArray();
            bool[] groupSame = group.Select(i => same[i]).ToArray();
            RequireBothKinds(groupSame, $"Group '{group.Key}'", nameof(pairs));
            VerificationMetrics metrics = Measure(Sweep.Build(groupScores, groupSame), groupScores, groupSame);
            groups.Add(new GroupMetrics(group.Key, metrics, Accuracy(groupScores, groupSame, overall.BestAccuracyThreshold)));
        }

        return new CalibrationReport(dataset, pairs.Count, overall, sweep, groups, groups.Count >= 2 ? Gaps(groups) : null);
    }

    /// <summary>Gets the share of pairs classified correctly at a threshold.</summary>
    private static double Accuracy(ReadOnlySpan<float> scores, ReadOnlySpan<bool> same, float threshold)
    {
        int correct = 0;
        for (int i = 0; i < scores.Length; i++)
        {
            if (scores[i] >= threshold == same[i])
            {
                correct++;
            }
        }

        return (double)correct / scores.Length;
    }

    private static VerificationMetrics Measure(Sweep sweep, float[] scores, bool[] same)
    {
        (double eer, float eerThreshold) = sweep.EqualErrorRate();
        (float bestThreshold, double bestAccuracy) = sweep.BestAccuracy();
        return new VerificationMetrics(
            sweep.SameTotal,
            sweep.DifferentTotal,
            sweep.Auc(),
            eer,
            eerThreshold,
            Array.ConvertAll(FalseAcceptRates, sweep.AtFalseAcceptRate),
            bestAccuracy,
            bestThreshold,
            TenFold(scores, same),
            sweep.Roc());
    }

    /// <summary>
    /// LFW-style 10-fold accuracy: fold f is the contiguous block [f n / 10, (f + 1) n / 10) of the pairs; its
    /// threshold is the best-accuracy threshold of the other nine folds.
    /// </summary>
    private static TenFoldAccuracy? TenFold(float[] scores, bool[] same)
    {
        int n = scores.Length;
        if (n < Folds)
        {
            return null;
        }

        var accuracies = new double[Folds];
        for (int f = 0; f < Folds; f++)
        {
            int start = (int)((long)f * n / Folds);
            int end = (int)((long)(f + 1) * n / Folds);
            float threshold = Sweep.Build([.. scores[..start], .. scores[end..]], [.. same[..start], .. same[end..]]).BestAccuracy().Threshold;
            accuracies[f] = Accuracy(scores.AsSpan(start, end - start), same.AsSpan(start, end - start), threshold);
        }

        double mean = accuracies.Average();
        // The population standard deviation, as insightface's verification code (np.std) reports it.
        double std = Math.Sqrt(accuracies.Average(a => (a - mean) * (a - mean)));
        return new TenFoldAccuracy(mean, std, accuracies);
    }

    private static void RequireBothKinds(bool[] same, string what, string paramName)
    {
        int sameCount = same.Count(s => s);
        if (sameCount == 0 || sameCount == same.Length)
        {
            throw new ArgumentException(
                $"{what}: at least one same-person and one different-person pair are needed; found {sameCount} and {same.Length - sameCount}.",
                paramName);
        }
    }

    private static GroupGaps Gaps(List<GroupMetrics> groups)
    {
        var tar = new TarGap[FalseAcceptRates.Length];
        for (int i = 0; i < tar.Length; i++)
        {
            double[] rates = groups.Select(g => g.Metrics.TarAtFar[i].TrueAcceptRate).OfType<double>().ToArray();
            tar[i] = new TarGap(FalseAcceptRates[i], rates.Length >= 2 ? rates.Max() - rates.Min() : null);
        }

        return new GroupGaps(
            tar,
            groups.Max(g => g.AccuracyAtGlobalThreshold) - groups.Min(g => g.AccuracyAtGlobalThreshold),
            groups.Max(g => g.Metrics.Eer) - groups.Min(g => g.Metrics.Eer));
    }
}
