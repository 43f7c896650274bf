using System.Globalization;
using SwinFace.Analysis;

namespace SwinFace.Cli;

/// <summary>Writes the analyses as a readable table per image.</summary>
internal static class TableReport
{
    // The analyzer runs FaceTasks.All, so every output is present.
    public static void Write(IReadOnlyList<string> files, IReadOnlyList<FaceAnalysis> faces)
    {
        for (int i = 0; i < files.Count; i++)
        {
            FaceAnalysis face = faces[i];
            string present = string.Join(", ", face.Attributes!
                .Where(a => a.IsPresent)
                .OrderByDescending(a => a.Probability)
                .Select(a => $"{a.Name} {Format(a.Probability)}"));

            if (i > 0)
            {
                Console.WriteLine();
            }

            Console.WriteLine(files[i]);
            Console.WriteLine($"  age         {face.Age!.Value.ToString("F1", CultureInfo.InvariantCulture)}");
            Console.WriteLine($"  male        {Format(face.MaleProbability!.Value)}");
            Console.WriteLine($"  expression  {face.Expression!.Label} {Format(face.Expression.Confidence)}");
            Console.WriteLine($"  attributes  {(present.Length > 0 ? present : "(none)")}");
        }
    }

    private static string Format(float probability) => probability.ToString("F2", CultureInfo.InvariantCulture);
}
