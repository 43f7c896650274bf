using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;

namespace SwinFace.Recognition;

/// <summary>Keeps a calibrated <see cref="VerificationThreshold"/> next to the model it was measured with.</summary>
/// <remarks>
/// The threshold lives in a JSON sidecar file, <c>&lt;model path&gt;.threshold.json</c>, that also records how it
/// was chosen, the pair count, the date and the model file's SHA-256. A threshold only means something for
/// the model that produced the similarities, so loading it for any other model file fails.
/// </remarks>
public static class ThresholdStore
{
    private const string Format = "swinface-threshold";
    private const int Version = 1;

    /// <summary>Gets the sidecar file's path for a model.</summary>
    /// <param name="modelPath">The model file's path.</param>
    /// <returns><paramref name="modelPath"/> followed by <c>.threshold.json</c>.</returns>
    /// <exception cref="ArgumentException"><paramref name="modelPath"/> is empty.</exception>
    /// <exception cref="ArgumentNullException"><paramref name="modelPath"/> is <see langword="null"/>.</exception>
    public static string GetPath(string modelPath)
    {
        ArgumentException.ThrowIfNullOrEmpty(modelPath);
        return modelPath + ".threshold.json";
    }

    /// <summary>Saves a threshold next to a model, replacing any saved before, in one atomic file replacement.</summary>
    /// <param name="modelPath">The model file's path; the file is read to compute its SHA-256.</param>
    /// <param name="threshold">The threshold, measured with this model.</param>
    /// <exception cref="ArgumentException"><paramref name="modelPath"/> is empty.</exception>
    /// <exception cref="ArgumentNullException"><paramref name="modelPath"/> or <paramref name="threshold"/> is <see langword="null"/>.</exception>
    /// <exception cref="FileNotFoundException">The model file does not exist.</exception>
    /// <exception cref="IOException">The sidecar file cannot be written.</exception>
    public static void Save(string modelPath, VerificationThreshold threshold)
    {
        string path = GetPath(modelPath);
        ArgumentNullException.ThrowIfNull(threshold);
        string sha256 = ModelSha256(modelPath);
        AtomicFile.Write(path, stream =>
        {
            using var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true });
            json.WriteStartObject();
            json.WriteString("format", Format);
            json.WriteNumber("version", Version);
            json.WriteNumber("threshold", threshold.Value);
            json.WriteString("acceptRule", "similarity >= threshold");
            json.WriteString("rule", RuleName(threshold.Rule));
            if (threshold.TargetFalseAcceptRate is double far)
            {
                json.WriteNumber("targetFalseAcceptRate", far);
            }

            json.WriteNumber("pairCount", threshold.PairCount);
            json.WriteString("dataset", threshold.Dataset);
            json.WriteString("savedAt", DateTimeOffset.UtcNow.ToString("O", CultureInfo.InvariantCulture));
            json.WriteString("modelSha256", sha256);
            json.WriteEndObject();
        });
    }

    /// <summary>Loads the threshold saved next to a model, if there is one.</summary>
    /// <param name="modelPath">The model file's path; the file is read to compute its SHA-256.</param>
    /// <param name="threshold">The threshold, or <see langword="null"/> when none is saved.</param>
    /// <returns><see langword="true"/> when a threshold was saved for this model.</returns>
    /// <exception cref="ArgumentException"><paramref name="modelPath"/> is empty.</exception>
    /// <exception cref="ArgumentNullException"><paramref name="modelPath"/> is <see langword="null"/>.</exception>
    /// <exception cref="FileNotFoundException">The model file does not exist.</exception>
    /// <exception cref="InvalidDataException">
    /// The sidecar file is malformed, or was saved for a model file with another SHA-256; the message says which.
    /// </exception>
    public static bool TryLoad(string modelPath, [NotNullWhen(true)] out VerificationThreshold? threshold)
    {
        string path = GetPath(modelPath);
        RequireModel(modelPath);
        threshold = null;
        if (!File.Exists(path))
        {
            return false;
        }

        threshold = Parse(File.ReadAllBytes(path), path, modelPath, ModelSha256(modelPath));
        return true;
    }

    /// <summary>Parses a sidecar file's bytes and checks that it was saved for the model with the given SHA-256.</summary>
    /// <param name="json">The sidecar file's bytes.</param>
    /// <param name="path">The sidecar file's path, for messages.</param>
    /// <param name="modelPath">The model file's path, for messages.</param>
    /// <param name="sha256">The model file's SHA-256, lower-case hex.</param>
    /// <exception cref="InvalidDataException">The data is malformed, or names another model; the message says which.</exception>
    internal static VerificationThreshold Parse(byte[] json, string path, string modelPath, string sha256)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"Threshold file {path} is not valid JSON: {e.Message}", e);
        }

        using (document)
        {
            JsonElement root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object || String(root, "format", path) != Format)
            {
                throw new InvalidDataException($"{path} is not a SwinFace threshold file (expected \"format\": \"{Format}\").");
            }

            if (!root.TryGetProperty("version", out JsonElement version) || version.ValueKind != JsonValueKind.Number || !version.TryGetInt32(out int v) || v != Version)
            {
                throw new InvalidDataException($"Threshold file {path} has an unsupported version; this library reads version {Version}.");
            }

            string saved = String(root, "modelSha256", path) ?? throw Missing(path, "modelSha256");
            if (!string.Equals(saved, sha256, StringComparison.OrdinalIgnoreCase))
            {
                throw new InvalidDataException(
                    $"Threshold file {path} was measured with another model: it names a model with SHA-256 {saved}, but {modelPath} has SHA-256 {sha256}. " +
                    "A threshold only holds for the model it was measured with: calibrate this model and save its own threshold.");
            }

            float value = (float)Number(root, "threshold", path);
            int pairs = root.TryGetProperty("pairCount", out JsonElement count) && count.ValueKind == JsonValueKind.Number && count.TryGetInt32(out int n)
                ? n
                : throw Missing(path, "pairCount");
            string? dataset = String(root, "dataset", path);
            try
            {
                return String(root, "rule", path) switch
                {
                    "targetFalseAcceptRate" => VerificationThreshold.AtFalseAcceptRate(value, Number(root, "targetFalseAcceptRate", path), pairs, dataset),
                    "bestAccuracy" => VerificationThreshold.AtBestAccuracy(value, pairs, dataset),
                    var rule => throw new InvalidDataException($"Threshold file {path} has an unknown rule \"{rule}\"."),
                };
            }
            catch (ArgumentOutOfRangeException e)
            {
                throw new InvalidDataException($"Threshold file {path} holds an invalid value: {e.Message}", e);
            }
        }
    }

    internal static string RuleName(ThresholdRule rule) => rule switch
    {
        ThresholdRule.TargetFalseAcceptRate => "targetFalseAcceptRate",
        _ => "bestAccuracy",
    };

    private static void RequireModel(string modelPath)
    {
        if (!File.Exists(modelPath))
        {
            throw new FileNotFoundException($"Model file not found: {modelPath}", modelPath);
        }
    }

    private static string ModelSha256(string modelPath)
    {
        RequireModel(modelPath);
        using FileStream stream = File.OpenRead(modelPath);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }

    private static string? String(JsonElement root, string name, string path)
    {
        if (!root.TryGetProperty(name, out JsonElement value) || value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (value.ValueKind != JsonValueKind.String)
        {
            throw new InvalidDataException($"Threshold file {path}: \"{name}\" is not a string.");
        }

        try
        {
            return value.GetString();
        }
        catch (InvalidOperationException e)
        {
            // The JSON reader accepts any bytes inside quotes; turning them into a string checks the UTF-8.
            throw new InvalidDataException($"Threshold file {path}: \"{name}\" is not valid UTF-8.", e);
        }
    }

    private static double Number(JsonElement root, string name, string path) =>
        root.TryGetProperty(name, out JsonElement value) && value.ValueKind == JsonValueKind.Number && value.TryGetDouble(out double number) ? number : throw Missing(path, name);

    private static InvalidDataException Missing(string path, string name) =>
        new($"Threshold file {path}: \"{name}\" is missing or invalid.");
}
