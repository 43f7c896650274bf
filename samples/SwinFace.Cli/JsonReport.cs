using System.Text.Json;
using SixLabors.ImageSharp;
using SwinFace.Analysis;

namespace SwinFace.Cli;

/// <summary>Writes the analyses as one JSON document to standard output.</summary>
internal static class JsonReport
{
    public static void Write(FaceAnalyzer analyzer, IReadOnlyList<ImageResult> results)
    {
        using Stream stdout = Console.OpenStandardOutput();
        using (var writer = new Utf8JsonWriter(stdout, new JsonWriterOptions { Indented = true }))
        {
            writer.WriteStartObject();
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

            writer.WriteStartArray("images");
            foreach (ImageResult image in results)
            {
                writer.WriteStartObject();
                writer.WriteString("file", image.File);
                if (image.Error is not null)
                {
                    writer.WriteString("error", image.Error);
                }
                else
                {
                    writer.WriteNumber("width", image.Width);
                    writer.WriteNumber("height", image.Height);
                }

                if (image.Damage is { } damage)
                {
                    writer.WriteStartObject("damage");
                    writer.WriteString("message", damage.Message);
                    writer.WriteNumber("decodedRows", damage.DecodedRows);
                    writer.WriteNumber("rows", damage.Rows);
                    writer.WriteEndObject();
                }

                writer.WriteStartArray("faces");
                foreach (FaceResult face in image.Faces)
                {
                    WriteFace(writer, face);
                }

                writer.WriteEndArray();
                writer.WriteEndObject();
            }

            writer.WriteEndArray();
            writer.WriteEndObject();
        }

        stdout.Write("\n"u8);
    }

    // The analyzer runs FaceTasks.All, so every output is present.
    private static void WriteFace(Utf8JsonWriter writer, FaceResult result)
    {
        FaceAnalysis face = result.Analysis;
        writer.WriteStartObject();
        if (result.Detection is { } d)
        {
            FaceInputs.WriteBox(writer, d);
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
            writer.WriteNumber("sourceSize", result.SourceSize!.Value);
            if (result.CropFile is not null)
            {
                writer.WriteString("crop", result.CropFile);
            }
        }

        writer.WriteStartArray("embedding");
        foreach (float value in face.Embedding!)
        {
            writer.WriteNumberValue(value);
        }

        writer.WriteEndArray();
        writer.WriteNumber("embeddingNorm", face.EmbeddingNorm!.Value);
        writer.WriteNumber("age", face.Age!.Value);
        writer.WriteNumber("male", face.MaleProbability!.Value);

        ExpressionPrediction expression = face.Expression!;
        writer.WriteStartObject("expression");
        writer.WriteString("label", expression.Label.ToString());
        writer.WriteStartObject("scores");
        foreach (Expression e in Enum.GetValues<Expression>())
        {
            writer.WriteNumber(e.ToString(), expression[e]);
        }

        writer.WriteEndObject();
        writer.WriteEndObject();

        writer.WriteStartObject("attributes");
        foreach (AttributePrediction attribute in face.Attributes!)
        {
            writer.WriteNumber(attribute.Name, attribute.Probability);
        }

        writer.WriteEndObject();
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
