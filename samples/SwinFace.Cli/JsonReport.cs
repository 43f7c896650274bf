using System.Text.Json;
using SwinFace.Analysis;

namespace SwinFace.Cli;

/// <summary>Writes the analyses as one JSON document to standard output, with the library's <see cref="AnalysisJson"/>.</summary>
internal static class JsonReport
{
    public static void Write(FaceAnalyzer analyzer, IReadOnlyList<ImageResult> results)
    {
        using Stream stdout = Console.OpenStandardOutput();
        using (var writer = new Utf8JsonWriter(stdout, new JsonWriterOptions { Indented = true }))
        {
            writer.WriteStartObject();
            AnalysisJson.WriteModel(writer, analyzer);
            writer.WriteStartArray("images");
            foreach (ImageResult image in results)
            {
                if (image.Error is not null)
                {
                    AnalysisJson.WriteImageError(writer, image.File, image.Error);
                }
                else if (image.Photo is not null)
                {
                    AnalysisJson.WriteImage(writer, image.File, image.Photo, i => image.Faces[i].CropFile);
                }
                else
                {
                    AnalysisJson.WriteImage(writer, image.File, image.Width, image.Height, image.Faces[0].Analysis);
                }
            }

            writer.WriteEndArray();
            writer.WriteEndObject();
        }

        stdout.Write("\n"u8);
    }
}
