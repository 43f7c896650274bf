namespace SwinFace.Recognition;

/// <summary>How a <see cref="VerificationThreshold"/> was chosen.</summary>
public enum ThresholdRule
{
    /// <summary>The lowest threshold whose false accept rate on the calibration pairs is at most a target.</summary>
    TargetFalseAcceptRate,

    /// <summary>The threshold with the highest accuracy on the calibration pairs.</summary>
    BestAccuracy,
}

/// <summary>A cosine-similarity threshold for "same person", with a record of how it was measured.</summary>
/// <remarks>
/// <para>
/// Two faces are judged the same person when their similarity is at least <see cref="Value"/>.
/// </para>
/// <para>
/// SwinFace publishes no threshold, and none is built in: measure one on labelled pairs like the
/// faces you will compare (<see cref="Calibration.Run(IReadOnlyList{ScoredPair}, string?)"/>, then
/// <see cref="CalibrationReport.ThresholdAtFalseAcceptRate(double)"/> or
/// <see cref="CalibrationReport.ThresholdAtBestAccuracy"/>), and keep it next to the model with
/// <see cref="ThresholdStore.Save(string, VerificationThreshold)"/>.
/// </para>
/// </remarks>
public sealed record VerificationThreshold
{
    private VerificationThreshold(float value, ThresholdRule rule, double? targetFalseAcceptRate, int pairCount, string? dataset)
    {
        if (!float.IsFinite(value))
        {
            throw new ArgumentOutOfRangeException(nameof(value), value, "The threshold must be a finite number.");
        }

        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(pairCount);
        Value = value;
        Rule = rule;
        TargetFalseAcceptRate = targetFalseAcceptRate;
        PairCount = pairCount;
        Dataset = dataset;
    }

    /// <summary>Gets the threshold: a similarity at or above it means "same person".</summary>
    public float Value { get; }

    /// <summary>Gets how the threshold was chosen.</summary>
    public ThresholdRule Rule { get; }

    /// <summary>Gets the false accept rate the threshold was chosen for, under <see cref="ThresholdRule.TargetFalseAcceptRate"/>; otherwise <see langword="null"/>.</summary>
    public double? TargetFalseAcceptRate { get; }

    /// <summary>Gets the number of labelled pairs the threshold was measured on.</summary>
    public int PairCount { get; }

    /// <summary>Gets the name of the data set it was measured on, or <see langword="null"/> when not given.</summary>
    public string? Dataset { get; }

    /// <summary>Creates a threshold chosen for a target false accept rate.</summary>
    /// <param name="value">The threshold.</param>
    /// <param name="targetFalseAcceptRate">The target false accept rate, greater than 0 and less than 1.</param>
    /// <param name="pairCount">The number of labelled pairs it was measured on.</param>
    /// <param name="dataset">The data set's name, or <see langword="null"/>.</param>
    /// <returns>The threshold.</returns>
    /// <exception cref="ArgumentOutOfRangeException">
    /// <paramref name="value"/> is not finite, <paramref name="targetFalseAcceptRate"/> is outside (0, 1), or
    /// <paramref name="pairCount"/> is less than 1.
    /// </exception>
    public static VerificationThreshold AtFalseAcceptRate(float value, double targetFalseAcceptRate, int pairCount, string? dataset = null)
    {
        CheckFalseAcceptRate(targetFalseAcceptRate, nameof(targetFalseAcceptRate));
        return new VerificationThreshold(value, ThresholdRule.TargetFalseAcceptRate, targetFalseAcceptRate, pairCount, dataset);
    }

    /// <summary>Creates a threshold chosen for the best accuracy.</summary>
    /// <param name="value">The threshold.</param>
    /// <param name="pairCount">The number of labelled pairs it was measured on.</param>
    /// <param name="dataset">The data set's name, or <see langword="null"/>.</param>
    /// <returns>The threshold.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="value"/> is not finite, or <paramref name="pairCount"/> is less than 1.</exception>
    public static VerificationThreshold AtBestAccuracy(float value, int pairCount, string? dataset = null) =>
        new(value, ThresholdRule.BestAccuracy, null, pairCount, dataset);

    /// <summary>Decides whether a similarity means "same person".</summary>
    /// <param name="similarity">A cosine similarity.</param>
    /// <returns><see langword="true"/> when <paramref name="similarity"/> is at least <see cref="Value"/>.</returns>
    public bool Accepts(float similarity) => similarity >= Value;

    internal static void CheckFalseAcceptRate(double target, string paramName)
    {
        if (!(target > 0 && target < 1))
        {
            throw new ArgumentOutOfRangeException(paramName, target, "A target false accept rate must be greater than 0 and less than 1.");
        }
    }
}
