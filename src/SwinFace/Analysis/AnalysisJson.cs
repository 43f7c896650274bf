using System.Text.Json;
using SixLabors.ImageSharp;
using SwinFace.Detection;
using SwinFace.Imaging;

namespace SwinFace.Analysis;

/// <summary>
/// Writes analyses as JSON: the one writer behind the command-line program's <c>analyze --json</c> and the
/// service's <c>POST /v1/analyze</c>, so that the two cannot drift apart.
/// </summary>
/// <remarks>
/// <para>
/// A document is <c>{"model": ..., "images": [...]}</c>: <see cref="WriteModel(Utf8JsonWriter, FaceAnalyzer)"/>,
/// then one object per image from <see cref="WriteImage(Utf8JsonWriter, string, PhotoAnalysis, Func{int, string?}?)"/>,
/// <see cref="WriteImage(Utf8JsonWriter, string, int, int, FaceAnalysis)"/> or
/// <see cref="WriteImageError(Utf8JsonWriter, string, string)"/>.
/// </para>
/// <para>
/// Coordinates are photo pixels after EXIF orientation, with (0, 0) the centre of the top-left pixel. A face
/// carries only the outputs that were computed (see <see cref="FaceTasks"/>), and only the landmarks its
/// detector gives. Numbers are written as the shortest text that reads back as the same float.
/// </para>
/// </remarks>
public static class AnalysisJson
{
    /// <summary>Writes the property <c>"model"</c>: name, version, source, id, precision and, for int8, the fidelity measured at conversion.</summary>
    /// <param name="writer">The writer, inside an object.</param>
    /// <param name="analyzer">The analyzer whose model is described.</param>
    /// <exception cref="ArgumentNullException">An argument is <see langword="null"/>.</exception>
    public static void WriteModel(Utf8JsonWriter writer, FaceAnalyzer analyzer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(analyzer);
        writer.WriteStartObject("model");
        writer.WriteString("name", analyzer.ModelName);
        writer.WriteString("version", analyzer.ModelVersion);
        writer.WriteString("source", analyzer.ModelSource);
        writer.WriteString("id", analyzer.ModelId);
        writer.WriteString("precision", analyzer.Precision == ModelPrecision.Int8 ? "int8" : "fp32");
        if (analyzer.Fidelity is { } fidelity)
        {
            writer.WriteStartObject("fidelity");
            writer.WriteNumber("faces", fidelity.Faces);
            writer.WriteNumber("embeddingCosineMin", fidelity.EmbeddingCosineMin);
            writer.WriteNumber("embeddingCosineMedian", fidelity.EmbeddingCosineMedian);
            writer.WriteNumber("expressionAgreement", fidelity.ExpressionAgreement);
            writer.WriteNumber("ageDifferenceMedian", fidelity.AgeDifferenceMedian);
            writer.WriteNumber("ageDifferenceMax", fidelity.AgeDifferenceMax);
            writer.WriteNumber("attributeAgreement", fidelity.AttributeAgreement);
            writer.WriteBoolean("meetsTheBars", fidelity.MeetsTheBars);
            writer.WriteEndObject();
        }

        writer.WriteEndObject();
    }

    /// <summary>Writes one photo as an object: its name, size, damage if any, faces left out if any, and every face analysed.</summary>
    /// <param name="writer">The writer, inside an array.</param>
    /// <param name="name">The photo's name: a path, or an upload's file name.</param>
    /// <param name="photo">The photo's analysis.</param>
    /// <param name="crop">Gives the <c>"crop"</c> of face i (a file name, a data URL), or <see langword="null"/> for none; the default writes none.</param>
    /// <exception cref="ArgumentNullException"><paramref name="writer"/>, <paramref name="name"/> or <paramref name="photo"/> is <see langword="null"/>.</exception>
    public static void WriteImage(Utf8JsonWriter writer, string name, PhotoAnalysis photo, Func<int, string?>? crop = null)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(photo);
        WriteStartImage(writer, name, photo.Width, photo.Height, photo.Damage);
        if (photo.SkippedFaces > 0)
        {
            writer.WriteNumber("skippedFaces", photo.SkippedFaces);
        }

        writer.WriteStartArray("faces");
        for (int i = 0; i < photo.Faces.Count; i++)
        {
            PhotoFace face = photo.Faces[i];
            WriteFace(writer, face.Analysis, face.Detection, face.SourceSize, crop?.Invoke(i));
        }

        writer.WriteEndArray();
        writer.WriteEndObject();
    }

    /// <summary>Writes one aligned crop as an object: its name, size and its one face, without detection.</summary>
    /// <param name="writer">The writer, inside an array.</param>
    /// <param name="name">The crop's name.</param>
    /// <param name="width">The crop's width in pixels.</param>
    /// <param name="height">The crop's height in pixels.</param>
    /// <param name="face">The crop's analysis.</param>
    /// <exception cref="ArgumentNullException"><paramref name="writer"/>, <paramref name="name"/> or <paramref name="face"/> is <see langword="null"/>.</exception>
    public static void WriteImage(Utf8JsonWriter writer, string name, int width, int height, FaceAnalysis face)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(face);
        WriteStartImage(writer, name, width, height, null);
        writer.WriteStartArray("faces");
        WriteFace(writer, face, null, null, null);
        writer.WriteEndArray();
        writer.WriteEndObject();
    }

    /// <summary>Writes an image that could not be read as an object: its name, the reason and no faces.</summary>
    /// <param name="writer">The writer, inside an array.</param>
    /// <param name="name">The image's name.</param>
    /// <param name="error">Why it could not be read.</param>
    /// <exception cref="ArgumentNullException">An argument is <see langword="null"/>.</exception>
    public static void WriteImageError(Utf8JsonWriter writer, string name, string error)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(error);
        writer.WriteStartObject();
        writer.WriteString("file", name);
        writer.WriteString("error", error);
        writer.WriteStartArray("faces");
        writer.WriteEndArray();
        writer.WriteEndObject();
    }

    /// <summary>Writes the property <c>"box"</c>: <c>[x, y, width, height]</c> of a detection, or <c>null</c> for an aligned crop.</summary>
    /// <param name="writer">The writer, inside an object.</param>
    /// <param name="detection">The detection, or <see langword="null"/>.</param>
    /// <exception cref="ArgumentNullException"><paramref name="writer"/> is <see langword="null"/>.</exception>
    public static void WriteBox(Utf8JsonWriter writer, FaceDetection? detection)
    {
        ArgumentNullException.ThrowIfNull(writer);
        if (detection is not { } d)
        {
            writer.WriteNull("box");
            return;
        }

        writer.WriteStartArray("box");
        writer.WriteNumberValue(d.Box.X);
        writer.WriteNumberValue(d.Box.Y);
        writer.WriteNumberValue(d.Box.Width);
        writer.WriteNumberValue(d.Box.Height);
        writer.WriteEndArray();
    }

    /// <summary>
    /// Writes the property <c>"threshold"</c>: <c>null</c> without a threshold, else its value, the calibration's rule,
    /// target false accept rate and pair count when it was calibrated, and <c>"source"</c>
    /// (<c>calibration</c> or <c>argument</c>).
    /// </summary>
    /// <param name="writer">The writer, inside an object.</param>
    /// <param name="value">The threshold in use, or <see langword="null"/> for none.</param>
    /// <param name="calibrated">The calibration it comes from, or <see langword="null"/> when it was given by hand.</param>
    /// <exception cref="ArgumentNullException"><paramref name="writer"/> is <see langword="null"/>.</exception>
    public static void WriteThreshold(Utf8JsonWriter writer, float? value, Recognition.VerificationThreshold? calibrated)
    {
        ArgumentNullException.ThrowIfNull(writer);
        if (value is not float v)
        {
            writer.WriteNull("threshold");
            return;
        }

        writer.WriteStartObject("threshold");
        writer.WriteNumber("value", v);
        if (calibrated is { } t)
        {
            writer.WriteString("rule", Recognition.ThresholdStore.RuleName(t.Rule));
            if (t.TargetFalseAcceptRate is double far)
            {
                writer.WriteNumber("targetFalseAcceptRate", far);
            }

            writer.WriteNumber("pairCount", t.PairCount);
        }
        else
        {
            writer.WriteNull("rule");
        }

        writer.WriteString("source", calibrated is null ? "argument" : "calibration");
        writer.WriteEndObject();
    }

    /// <summary>
    /// Writes one face identified against a gallery as an object: its <c>"box"</c>, its <c>"matches"</c> (id and
    /// similarity, most similar first) and its <c>"identity"</c> (the best match at or above the threshold,
    /// <c>"unknown"</c> below it, <c>null</c> without a threshold).
    /// </summary>
    /// <param name="writer">The writer, inside an array.</param>
    /// <param name="detection">Where the face was found, or <see langword="null"/> for an aligned crop.</param>
    /// <param name="matches">The gallery's best matches.</param>
    /// <param name="identity">The verdict.</param>
    /// <exception cref="ArgumentNullException"><paramref name="writer"/> or <paramref name="matches"/> is <see langword="null"/>.</exception>
    public static void WriteMatches(Utf8JsonWriter writer, FaceDetection? detection, IReadOnlyList<Recognition.GalleryMatch> matches, string? identity)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(matches);
        writer.WriteStartObject();
        WriteBox(writer, detection);
        writer.WriteStartArray("matches");
        foreach (Recognition.GalleryMatch match in matches)
        {
            writer.WriteStartObject();
            writer.WriteString("id", match.Id);
            writer.WriteNumber("similarity", match.Similarity);
            writer.WriteEndObject();
        }

        writer.WriteEndArray();
        writer.WriteString("identity", identity);
        writer.WriteEndObject();
    }

    private static void WriteStartImage(Utf8JsonWriter writer, string name, int width, int height, ImageDamage? damage)
    {
        writer.WriteStartObject();
        writer.WriteString("file", name);
        writer.WriteNumber("width", width);
        writer.WriteNumber("height", height);
        if (damage is not null)
        {
            writer.WriteStartObject("damage");
            writer.WriteString("message", damage.Message);
            writer.WriteNumber("decodedRows", damage.DecodedRows);
            writer.WriteNumber("rows", damage.Rows);
            writer.WriteEndObject();
        }
    }

    private static void WriteFace(Utf8JsonWriter writer, FaceAnalysis face, FaceDetection? detection, float? sourceSize, string? crop)
    {
        writer.WriteStartObject();
        if (detection is { } d)
        {
            WriteBox(writer, d);
            writer.WriteNumber("score", d.Score);
            writer.WriteStartObject("landmarks");
            WritePoint(writer, "leftEye", d.Landmarks.LeftEye);
            WritePoint(writer, "rightEye", d.Landmarks.RightEye);
            WritePoint(writer, "nose", d.Landmarks.Nose);
            // Only the points the detector gave: both mouth corners (YuNet), or the mouth centre and the ears
            // (BlazeFace). A centre derived from the corners would look like a detected point.
            WritePoint(writer, "mouth", d.Landmarks.HasMouthCorners ? null : d.Landmarks.MouthCenter);
            WritePoint(writer, "mouthLeft", d.Landmarks.MouthLeft);
            WritePoint(writer, "mouthRight", d.Landmarks.MouthRight);
            WritePoint(writer, "leftEar", d.Landmarks.LeftEar);
            WritePoint(writer, "rightEar", d.Landmarks.RightEar);
            writer.WriteEndObject();
            writer.WriteNumber("alignmentPoints", d.Landmarks.HasMouthCorners ? 5 : 4);
            if (sourceSize is float size)
            {
                writer.WriteNumber("sourceSize", size);
            }

            if (crop is not null)
            {
                writer.WriteString("crop", crop);
            }
        }

        if (face.Embedding is { } embedding)
        {
            writer.WriteStartArray("embedding");
            foreach (float value in embedding)
            {
                writer.WriteNumberValue(value);
            }

            writer.WriteEndArray();
            writer.WriteNumber("embeddingNorm", face.EmbeddingNorm!.Value);
        }

        if (face.Age is float age)
        {
            writer.WriteNumber("age", age);
        }

        if (face.MaleProbability is float male)
        {
            writer.WriteNumber("male", male);
        }

        if (face.Expression is { } expression)
        {
            writer.WriteStartObject("expression");
            writer.WriteString("label", expression.Label.ToString());
            writer.WriteStartObject("scores");
            foreach (Expression e in Enum.GetValues<Expression>())
            {
                writer.WriteNumber(e.ToString(), expression[e]);
            }

            writer.WriteEndObject();
            writer.WriteEndObject();
        }

        if (face.Attributes is { } attributes)
        {
            writer.WriteStartObject("attributes");
            foreach (AttributePrediction attribute in attributes)
            {
                writer.WriteNumber(attribute.Name, attribute.Probability);
            }

            writer.WriteEndObject();
        }

        writer.WriteEndObject();
    }

    private static void WritePoint(Utf8JsonWriter writer, string name, PointF? point)
    {
        if (point is { } p)
        {
            writer.WriteStartArray(name);
            writer.WriteNumberValue(p.X);
            writer.WriteNumberValue(p.Y);
            writer.WriteEndArray();
        }
    }
}
