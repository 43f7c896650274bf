using System.Text;
using System.Text.Json;

namespace SwinFace.Recognition;

/// <summary>The verification metrics of labelled pairs, overall and per group, from <see cref="Calibration.Run(IReadOnlyList{ScoredPair}, string?)"/>.</summary>
/// <remarks>A pair is accepted ("same person") when its similarity is at least the threshold.</remarks>
public sealed class CalibrationReport
{
    private readonly Sweep _sweep;

    internal CalibrationReport(string? dataset, int pairCount, VerificationMetrics overall, Sweep sweep, IReadOnlyList<GroupMetrics> groups, GroupGaps? gaps)
    {
        Dataset = dataset;
        PairCount = pairCount;
        Overall = overall;
        _sweep = sweep;
        Groups = groups;
        Gaps = gaps;
    }

    /// <summary>Gets the data set's name, or <see langword="null"/> when not given.</summary>
    public string? Dataset { get; }

    /// <summary>Gets the number of pairs.</summary>
    public int PairCount { get; }

    /// <summary>Gets the metrics of all pairs.</summary>
    public VerificationMetrics Overall { get; }

    /// <summary>Gets the metrics of each group, in ordinal order of the names; empty when no pair has a group.</summary>
    public IReadOnlyList<GroupMetrics> Groups { get; }

    /// <summary>Gets the spread of the metrics between groups; <see langword="null"/> with fewer than two groups.</summary>
    public GroupGaps? Gaps { get; }

    /// <summary>Chooses the lowest threshold whose false accept rate on these pairs is at most a target.</summary>
    /// <param name="targetFalseAcceptRate">The target, greater than 0 and less than 1.</param>
    /// <returns>The threshold, recording the target, the pair count and the data set.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="targetFalseAcceptRate"/> is outside (0, 1).</exception>
    /// <exception cref="ArgumentException">
    /// There are fewer than 1 / <paramref name="targetFalseAcceptRate"/> different-person pairs, too few to measure that rate.
    /// </exception>
    public VerificationThreshold ThresholdAtFalseAcceptRate(double targetFalseAcceptRate)
    {
        VerificationThreshold.CheckFalseAcceptRate(targetFalseAcceptRate, nameof(targetFalseAcceptRate));
        OperatingPoint point = _sweep.AtFalseAcceptRate(targetFalseAcceptRate);
        if (point.Threshold is not float threshold)
        {
            throw new ArgumentException(
                $"A false accept rate of {targetFalseAcceptRate:G3} needs at least {Math.Ceiling(1 / targetFalseAcceptRate):F0} different-person pairs; there are {Overall.DifferentPersonPairs}.",
                nameof(targetFalseAcceptRate));
        }

        return VerificationThreshold.AtFalseAcceptRate(threshold, targetFalseAcceptRate, PairCount, Dataset);
    }

    /// <summary>Chooses the threshold with the best accuracy on these pairs (the highest such threshold on a tie).</summary>
    /// <returns>The threshold, recording the pair count and the data set.</returns>
    public VerificationThreshold ThresholdAtBestAccuracy() =>
        VerificationThreshold.AtBestAccuracy(Overall.BestAccuracyThreshold, PairCount, Dataset);

    /// <summary>Writes the report as indented JSON with camelCase field names matching the properties.</summary>
    /// <returns>The JSON text.</returns>
    public string ToJson()
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            json.WriteStartObject();
            json.WriteString("dataset", Dataset);
            json.WriteString("acceptRule", "similarity >= threshold");
            json.WriteNumber("pairCount", PairCount);
            json.WritePropertyName("overall");
            Write(json, Overall);
            json.WriteStartArray("groups");
            foreach (GroupMetrics group in Groups)
            {
                json.WriteStartObject();
                json.WriteString("name", group.Name);
                json.WriteNumber("accuracyAtGlobalThreshold", group.AccuracyAtGlobalThreshold);
                json.WritePropertyName("metrics");
                Write(json, group.Metrics);
                json.WriteEndObject();
            }

            json.WriteEndArray();
            if (Gaps is null)
            {
                json.WriteNull("gaps");
            }
            else
            {
                json.WriteStartObject("gaps");
                json.WriteStartArray("tarAtFar");
                foreach (TarGap gap in Gaps.TarAtFar)
                {
                    json.WriteStartObject();
                    json.WriteNumber("targetFalseAcceptRate", gap.TargetFalseAcceptRate);
                    WriteNumber(json, "gap", gap.Gap);
                    json.WriteEndObject();
                }

                json.WriteEndArray();
                json.WriteNumber("accuracyAtGlobalThreshold", Gaps.AccuracyAtGlobalThreshold);
                json.WriteNumber("eer", Gaps.Eer);
                json.WriteEndObject();
            }

            json.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
    }

    /// <summary>Draws the ROC curves, overall and per group, as a standalone SVG document.</summary>
    /// <returns>
    /// The SVG text: FAR on a log axis from 1e-4 (or from the decade of the smallest measurable FAR, when there
    /// are fewer than 10,000 different-person pairs) to 1, TAR from 0 to 1, one polyline per curve, and a legend.
    /// </returns>
    public string ToRocSvg() => RocSvg.Draw(this);

    private static void Write(Utf8JsonWriter json, VerificationMetrics m)
    {
        json.WriteStartObject();
        json.WriteNumber("samePersonPairs", m.SamePersonPairs);
        json.WriteNumber("differentPersonPairs", m.DifferentPersonPairs);
        json.WriteNumber("auc", m.Auc);
        json.WriteNumber("eer", m.Eer);
        json.WriteNumber("eerThreshold", m.EerThreshold);
        json.WriteStartArray("tarAtFar");
        foreach (OperatingPoint p in m.TarAtFar)
        {
            json.WriteStartObject();
            json.WriteNumber("targetFalseAcceptRate", p.TargetFalseAcceptRate);
            WriteNumber(json, "trueAcceptRate", p.TrueAcceptRate);
            WriteNumber(json, "falseAcceptRate", p.FalseAcceptRate);
            WriteNumber(json, "threshold", p.Threshold);
            json.WriteEndObject();
        }

        json.WriteEndArray();
        json.WriteNumber("bestAccuracy", m.BestAccuracy);
        json.WriteNumber("bestAccuracyThreshold", m.BestAccuracyThreshold);
        if (m.TenFold is null)
        {
            json.WriteNull("tenFold");
        }
        else
        {
            json.WriteStartObject("tenFold");
            json.WriteNumber("mean", m.TenFold.Mean);
            json.WriteNumber("standardDeviation", m.TenFold.StandardDeviation);
            json.WriteStartArray("folds");
            foreach (double accuracy in m.TenFold.Folds)
            {
                json.WriteNumberValue(accuracy);
            }

            json.WriteEndArray();
            json.WriteEndObject();
        }

        json.WriteStartArray("roc");
        foreach (RocPoint p in m.Roc)
        {
            json.WriteStartObject();
            json.WriteNumber("falseAcceptRate", p.FalseAcceptRate);
            json.WriteNumber("trueAcceptRate", p.TrueAcceptRate);
            json.WriteNumber("threshold", p.Threshold);
            json.WriteEndObject();
        }

        json.WriteEndArray();
        json.WriteEndObject();
    }

    private static void WriteNumber(Utf8JsonWriter json, string name, double? value)
    {
        if (value is double v)
        {
            json.WriteNumber(name, v);
        }
        else
        {
            json.WriteNull(name);
        }
    }

    private static void WriteNumber(Utf8JsonWriter json, string name, float? value)
    {
        if (value is float v)
        {
            json.WriteNumber(name, v);
        }
        else
        {
            json.WriteNull(name);
        }
    }
}

/// <summary>The verification metrics of one set of labelled pairs.</summary>
/// <param name="SamePersonPairs">The number of same-person pairs.</param>
/// <param name="DifferentPersonPairs">The number of different-person pairs.</param>
/// <param name="Auc">The area under the ROC curve (trapezoidal rule; ties count one half).</param>
/// <param name="Eer">The equal error rate: where FAR equals FRR, interpolated linearly on the ROC step where they cross.</param>
/// <param name="EerThreshold">The threshold at the equal error rate, interpolated the same way; a guide, not an observed similarity.</param>
/// <param name="TarAtFar">The TAR at a FAR of 1e-1, 1e-2, 1e-3 and 1e-4, in that order.</param>
/// <param name="BestAccuracy">The highest share of pairs classified correctly by one threshold.</param>
/// <param name="BestAccuracyThreshold">The highest threshold reaching <paramref name="BestAccuracy"/>.</param>
/// <param name="TenFold">
/// The LFW-protocol 10-fold accuracy: fold f is the contiguous block [f n / 10, (f + 1) n / 10) of the pairs in
/// the given order, scored at the best-accuracy threshold of the other nine folds. <see langword="null"/> with
/// fewer than 10 pairs.
/// </param>
/// <param name="Roc">
/// The ROC curve from (0, 0) to (1, 1). Each point's threshold is a similarity of the pairs, except the first,
/// which lies just above all of them. Points inside a straight horizontal or vertical run are left out.
/// </param>
public sealed record VerificationMetrics(
    int SamePersonPairs,
    int DifferentPersonPairs,
    double Auc,
    double Eer,
    float EerThreshold,
    IReadOnlyList<OperatingPoint> TarAtFar,
    double BestAccuracy,
    float BestAccuracyThreshold,
    TenFoldAccuracy? TenFold,
    IReadOnlyList<RocPoint> Roc);

/// <summary>One point of a ROC curve.</summary>
/// <param name="FalseAcceptRate">The share of different-person pairs accepted.</param>
/// <param name="TrueAcceptRate">The share of same-person pairs accepted.</param>
/// <param name="Threshold">The threshold: pairs with a similarity at least this are accepted.</param>
public readonly record struct RocPoint(double FalseAcceptRate, double TrueAcceptRate, float Threshold);

/// <summary>The true accept rate at a target false accept rate, where the pair count allows measuring it.</summary>
/// <param name="TargetFalseAcceptRate">The target FAR.</param>
/// <param name="TrueAcceptRate">
/// The TAR at <paramref name="Threshold"/>; <see langword="null"/> when there are fewer than 1 / target
/// different-person pairs, too few to measure the target.
/// </param>
/// <param name="FalseAcceptRate">The FAR actually reached, at most the target; <see langword="null"/> when not measurable.</param>
/// <param name="Threshold">The lowest threshold whose FAR is at most the target; <see langword="null"/> when not measurable.</param>
public sealed record OperatingPoint(double TargetFalseAcceptRate, double? TrueAcceptRate, double? FalseAcceptRate, float? Threshold);

/// <summary>The accuracy of LFW-protocol 10-fold cross-validation.</summary>
/// <param name="Mean">The mean of the ten fold accuracies.</param>
/// <param name="StandardDeviation">Their population standard deviation, as insightface reports it.</param>
/// <param name="Folds">The accuracy of each fold, in order.</param>
public sealed record TenFoldAccuracy(double Mean, double StandardDeviation, IReadOnlyList<double> Folds);

/// <summary>The metrics of the pairs of one group.</summary>
/// <param name="Name">The group's label.</param>
/// <param name="Metrics">The metrics of its pairs alone.</param>
/// <param name="AccuracyAtGlobalThreshold">Its accuracy at the overall best-accuracy threshold.</param>
public sealed record GroupMetrics(string Name, VerificationMetrics Metrics, double AccuracyAtGlobalThreshold);

/// <summary>The spread (maximum minus minimum) of metrics between groups.</summary>
/// <param name="TarAtFar">The TAR spread at each FAR of <see cref="VerificationMetrics.TarAtFar"/>, over the groups where it is measurable.</param>
/// <param name="AccuracyAtGlobalThreshold">The spread of accuracy at the overall best-accuracy threshold.</param>
/// <param name="Eer">The spread of the equal error rate.</param>
public sealed record GroupGaps(IReadOnlyList<TarGap> TarAtFar, double AccuracyAtGlobalThreshold, double Eer);

/// <summary>The TAR spread between groups at one target FAR.</summary>
/// <param name="TargetFalseAcceptRate">The target FAR.</param>
/// <param name="Gap">The maximum minus the minimum TAR; <see langword="null"/> when fewer than two groups can measure it.</param>
public readonly record struct TarGap(double TargetFalseAcceptRate, double? Gap);
