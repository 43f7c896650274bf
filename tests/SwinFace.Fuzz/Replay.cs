using System.Diagnostics;

namespace SwinFace.Fuzz;

/// <summary>Runs saved inputs (seeds, crashes found, a CI corpus) through a target once each.</summary>
internal static class Replay
{
    /// <summary>Returns 0 when every input was accepted or rejected as documented, 1 when one failed otherwise.</summary>
    public static int Run(FuzzTarget target, string[] paths)
    {
        int accepted = 0, rejected = 0, failed = 0;
        foreach (string file in paths.SelectMany(Expand))
        {
            var clock = Stopwatch.StartNew();
            try
            {
                Exception? rejection = target.Execute(File.ReadAllBytes(file));
                if (rejection is null)
                {
                    accepted++;
                }
                else
                {
                    rejected++;
                }

                Console.WriteLine($"{(rejection is null ? "ok      " : "rejected")} {clock.ElapsedMilliseconds,6} ms {file}{(rejection is null ? string.Empty : ": " + rejection.GetType().Name + ": " + rejection.Message)}");
            }
            catch (Exception e)
            {
                failed++;
                Console.WriteLine($"FAILED   {clock.ElapsedMilliseconds,6} ms {file}: {e}");
            }
        }

        Console.WriteLine($"{target.Name}: {accepted} accepted, {rejected} rejected as documented, {failed} failed");
        return failed == 0 ? 0 : 1;
    }

    private static IEnumerable<string> Expand(string path) =>
        Directory.Exists(path)
            ? Directory.EnumerateFiles(path, "*", SearchOption.AllDirectories).Where(f => !Path.GetFileName(f).StartsWith('.')).Order(StringComparer.Ordinal)
            : [path];
}
