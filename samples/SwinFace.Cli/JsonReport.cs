using System.Text.Json;
using SwinFace.Analysis;

namespace SwinFace.Cli;

/// <summary>Writes the analyses as one JSON document to standard output.</summary>
internal static class JsonReport
{
    public static void Write(FaceAnalyzer analyzer, IReadOnlyList<string> files, IReadOnlyList<FaceAnalysis> faces)
    {
        using Stream stdout = Console.OpenStandardOutput();
        using (var writer = new Utf8JsonWriter(stdout, new JsonWriterOptions { Indented = true }))
        {
            writer.WriteStartObject();
            writer.WriteStartObject("model");
            writer.WriteString("name", analyzer.ModelName);
            writer.WriteString("version", analyzer.ModelVersion);
            writer.WriteString("source", analyzer.ModelSource);
            writer.WriteEndObject();

            writer.WriteStartArray("images");
            for (int i = 0; i < files.Count; i++)
            {
                writer.WriteStartObject();
                writer.WriteString("file", files[i]);
                // With --aligned each image is one face.
                writer.WriteStartArray("faces");
                WriteFace(writer, faces[i]);
                writer.WriteEndArray();
                writer.WriteEndObject();
            }

            writer.WriteEndArray();
            writer.WriteEndObject();
        }

        stdout.Write("\n"u8);
    }

    // The analyzer runs FaceTasks.All, so every output is present.
    private static void WriteFace(Utf8JsonWriter writer, FaceAnalysis face)
    {
        writer.WriteStartObject();
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
}
