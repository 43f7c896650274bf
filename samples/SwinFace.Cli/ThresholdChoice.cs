using System.Globalization;
using System.Text.Json;
using SwinFace.Analysis;
using SwinFace.Recognition;

namespace SwinFace.Cli;

/// <summary>The "same person" threshold in use: given with --threshold, or measured by calibration and saved next to the model.</summary>
/// <param name="Value">The threshold; a similarity at or above it means "same person", the library's accept rule.</param>
/// <param name="Calibrated">How it was measured, when it comes from the calibration sidecar; null when given as an argument.</param>
internal sealed record ThresholdChoice(float Value, VerificationThreshold? Calibrated)
{
    /// <summary>The --threshold value if given, else the threshold saved for this model, else null: never a made-up default.</summary>
    public static ThresholdChoice? Resolve(float? argument, string modelPath)
    {
        if (argument is float value)
        {
            return new ThresholdChoice(value, null);
        }

        return ThresholdStore.TryLoad(modelPath, out VerificationThreshold? saved) ? new ThresholdChoice(saved.Value, saved) : null;
    }

    public static string Describe(VerificationThreshold t) => string.Create(
        CultureInfo.InvariantCulture,
        $"{t.Value:F4} ({(t.TargetFalseAcceptRate is double far ? $"FAR {far:0.######}" : "best accuracy")} on {t.PairCount} pairs{(t.Dataset is null ? string.Empty : $" of {t.Dataset}")})");

    public bool Accepts(float similarity) => similarity >= Value;

    public string Describe() => Calibrated is null
        ? string.Create(CultureInfo.InvariantCulture, $"{Value:F4} (--threshold)")
        : $"{Describe(Calibrated)}, from calibration";

    public static void Write(Utf8JsonWriter writer, ThresholdChoice? choice) =>
        AnalysisJson.WriteThreshold(writer, choice?.Value, choice?.Calibrated);
}
