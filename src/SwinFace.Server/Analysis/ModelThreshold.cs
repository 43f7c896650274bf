using System.Text.Json;
using SwinFace.Analysis;
using SwinFace.Recognition;

namespace SwinFace.Server.Analysis;

/// <summary>
/// The model's "same person" threshold, measured by <c>swinface calibrate --save-threshold</c> and stored next to the
/// model file; <see langword="null"/> when there is none. SwinFace publishes no threshold, and the service invents none:
/// without one, compare and identify give similarities without verdicts.
/// </summary>
internal sealed record ModelThreshold(VerificationThreshold? Value)
{
    /// <summary>Loads the sidecar of the model file, if any.</summary>
    /// <exception cref="InvalidDataException">The sidecar is damaged or belongs to another model.</exception>
    public static ModelThreshold Load(string modelPath) =>
        new(ThresholdStore.TryLoad(modelPath, out VerificationThreshold? threshold) ? threshold : null);

    public void Write(Utf8JsonWriter writer) => AnalysisJson.WriteThreshold(writer, Value?.Value, Value);

    /// <summary>The identity of a face: its best match when that reaches the threshold, <c>unknown</c> below it, <see langword="null"/> without a threshold.</summary>
    public string? Identity(IReadOnlyList<GalleryMatch> matches) =>
        Value is null ? null : matches.Count > 0 && Value.Accepts(matches[0].Similarity) ? matches[0].Id : "unknown";
}
