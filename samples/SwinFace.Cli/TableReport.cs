using System.Globalization;
using SwinFace.Analysis;

namespace SwinFace.Cli;

/// <summary>Writes the analyses as a readable table per image.</summary>
internal static class TableReport
{
    // The analyzer runs FaceTasks.All, so every output is present.
    public static void Write(IReadOnlyList<ImageResult> results)
    {
        for (int i = 0; i < results.Count; i++)
        {
            ImageResult image = results[i];
            if (i > 0)
            {
                Console.WriteLine();
            }

            if (image.Error is not null)
            {
                Console.WriteLine($"{image.File}: unreadable");
                continue;
            }

            Console.WriteLine(image.Faces.Count == 1 && image.Faces[0].Detection is null
                ? image.File
                : $"{image.File}: {image.Faces.Count} face{(image.Faces.Count == 1 ? string.Empty : "s")}");
            if (image.Damage is { } damage)
            {
                Console.WriteLine($"  DAMAGED     {damage.Message}");
            }

            for (int k = 0; k < image.Faces.Count; k++)
            {
                FaceResult result = image.Faces[k];
                FaceAnalysis face = result.Analysis;
                string present = string.Join(", ", face.Attributes!
                    .Where(a => a.IsPresent)
                    .OrderByDescending(a => a.Probability)
                    .Select(a => $"{a.Name} {Format(a.Probability)}"));
                if (result.Detection is { } d)
                {
                    Console.WriteLine(FormattableString.Invariant($"  face {k}      box {d.Box.X:F0},{d.Box.Y:F0} {d.Box.Width:F0}x{d.Box.Height:F0}, score {d.Score:F2}, {result.SourceSize:F0} px{(result.SourceSize < 112 ? " (low resolution)" : string.Empty)}"));
                }

                Console.WriteLine($"  age         {face.Age!.Value.ToString("F1", CultureInfo.InvariantCulture)}");
                Console.WriteLine($"  male        {Format(face.MaleProbability!.Value)}");
                Console.WriteLine($"  expression  {face.Expression!.Label} {Format(face.Expression.Confidence)}");
                Console.WriteLine($"  attributes  {(present.Length > 0 ? present : "(none)")}");
                if (result.CropFile is not null)
                {
                    Console.WriteLine($"  crop        {result.CropFile}");
                }
            }
        }
    }

    private static string Format(float probability) => probability.ToString("F2", CultureInfo.InvariantCulture);
}
