using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using SwinFace.Analysis;

namespace SwinFace.Stress;

/// <summary>
/// Runs every file of a hostile corpus (tests/hardening/make-corpus.py) through <see cref="FaceAnalyzer.AnalyzePhoto(byte[], FaceTasks, bool)"/>
/// and checks the contract: a result or a <see cref="SwinFaceImageException"/>, nothing else, within a time
/// bound per file, with what corpus.json expects of each file, and peak RSS under a bound.
/// </summary>
internal static class CorpusRun
{
    public static int Run(Args args)
    {
        string dir = args.Get("dir");
        double secondsPerFile = args.Double("seconds-per-file", 20);
        int maxRssMb = args.Int("max-rss-mb", 0);
        Entry[] entries = ReadManifest(dir);
        var failures = new List<string>();
        string[] unlisted = Directory.EnumerateFiles(dir).Select(Path.GetFileName).Where(f => f != "corpus.json" && entries.All(e => e.File != f)).ToArray()!;
        failures.AddRange(unlisted.Select(f => $"{f}: not in corpus.json"));

        long rssBefore = ProcessStats.Rss;

        // Damaged files are analysed, so that their damage report is checked too.
        using FaceAnalyzer analyzer = FaceAnalyzer.Create(args.Get("model"), new FaceAnalyzerOptions { AnalyzeDamagedPhotos = true });
        long rssModel = ProcessStats.Rss;
        var byKind = new SortedDictionary<string, int[]>(StringComparer.Ordinal); // results, errors, damaged results
        var causes = new SortedDictionary<string, int>(StringComparer.Ordinal);
        var times = new List<(double Ms, string File)>();
        foreach (Entry e in entries)
        {
            byte[] bytes = File.ReadAllBytes(Path.Combine(dir, e.File));
            var clock = Stopwatch.StartNew();
            Task<PhotoAnalysis> work = Task.Factory.StartNew(() => analyzer.AnalyzePhoto(bytes, FaceTasks.Identity), TaskCreationOptions.LongRunning);
            if (!((IAsyncResult)work).AsyncWaitHandle.WaitOne(TimeSpan.FromSeconds(secondsPerFile)))
            {
                Console.WriteLine($"FAIL {e.File}: still running after {secondsPerFile} s (a hang)");
                Console.Out.Flush();
                Environment.Exit(1);
            }

            times.Add((clock.Elapsed.TotalMilliseconds, e.File));
            int[] counts = byKind.TryGetValue(e.Kind, out int[]? c) ? c : byKind[e.Kind] = new int[3];
            string? problem;
            if (work.IsCompletedSuccessfully)
            {
                PhotoAnalysis photo = work.Result;
                counts[0]++;
                counts[2] += photo.Damage is null ? 0 : 1;
                problem = CheckResult(e, photo);
            }
            else
            {
                Exception error = work.Exception!.InnerException!;
                if (error is SwinFaceImageException)
                {
                    counts[1]++;
                    string cause = error.InnerException is null ? "(checked by SwinFace)" : error.InnerException.GetType().Name;
                    causes[cause] = causes.GetValueOrDefault(cause) + 1;
                    problem = e.Expect == "result" ? $"expected a result, got: {error.Message}" : null;
                }
                else
                {
                    problem = $"threw {error}";
                }
            }

            if (problem is not null)
            {
                failures.Add($"{e.File}: {problem}");
            }
        }

        long peak = ProcessStats.PeakRss;
        Console.WriteLine($"corpus {dir}: {entries.Length} files");
        Console.WriteLine($"{"kind",-14} {"files",6} {"result",7} {"error",6} {"damaged",8}");
        foreach ((string kind, int[] c) in byKind)
        {
            Console.WriteLine($"{kind,-14} {c[0] + c[1],6} {c[0],7} {c[1],6} {c[2],8}");
        }

        Console.WriteLine("SwinFaceImageException causes: " + string.Join(", ", causes.Select(p => $"{p.Key} {p.Value}")));
        times.Sort();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"time per file: median {times[times.Count / 2].Ms:F0} ms, max {times[^1].Ms:F0} ms ({times[^1].File}), bound {secondsPerFile} s"));
        Console.WriteLine("slowest: " + string.Join(", ", times.TakeLast(5).Reverse().Select(t => string.Create(CultureInfo.InvariantCulture, $"{t.File} {t.Ms:F0} ms"))));
        Console.WriteLine($"RSS: {ProcessStats.Mb(rssBefore)} at start, {ProcessStats.Mb(rssModel)} with the model loaded, peak {ProcessStats.Mb(peak)}{(maxRssMb > 0 ? $" (bound {maxRssMb} MB)" : string.Empty)}");
        if (maxRssMb > 0 && peak > maxRssMb * 1024L * 1024L)
        {
            failures.Add($"peak RSS {ProcessStats.Mb(peak)} is over the bound of {maxRssMb} MB");
        }

        foreach (string f in failures)
        {
            Console.WriteLine("FAIL " + f);
        }

        Console.WriteLine(failures.Count == 0 ? "corpus: every file gave a result or a SwinFaceImageException, as expected" : $"corpus: {failures.Count} failures");
        return failures.Count == 0 ? 0 : 1;
    }

    private static string? CheckResult(Entry e, PhotoAnalysis photo)
    {
        if (e.Expect == "error")
        {
            return $"expected a SwinFaceImageException, got a {photo.Width} x {photo.Height} result";
        }

        if (e.Width is int w && e.Height is int h && (photo.Width, photo.Height) != (w, h))
        {
            return $"expected {w} x {h}, got {photo.Width} x {photo.Height}";
        }

        if (e.Damaged == true && photo.Damage is null)
        {
            return "the file is damaged, but the result reports no damage";
        }

        if (e.Damaged == false && photo.Damage is not null)
        {
            return $"the file is whole, but the result reports damage: {photo.Damage.Message}";
        }

        if (photo.Damage is { } d && (d.DecodedRows < 0 || d.DecodedRows > d.Rows))
        {
            return $"damage reports {d.DecodedRows} decoded rows of {d.Rows}";
        }

        return null;
    }

    private static Entry[] ReadManifest(string dir)
    {
        using JsonDocument doc = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(dir, "corpus.json")));
        return doc.RootElement.GetProperty("files").EnumerateArray().Select(f => new Entry(
            f.GetProperty("file").GetString()!,
            f.GetProperty("kind").GetString()!,
            f.GetProperty("expect").GetString()!,
            f.TryGetProperty("width", out JsonElement w) ? w.GetInt32() : null,
            f.TryGetProperty("height", out JsonElement h) ? h.GetInt32() : null,
            f.TryGetProperty("damaged", out JsonElement d) ? d.GetBoolean() : null)).ToArray();
    }

    /// <summary>One file of corpus.json: "expect" is result, error or any; the rest is checked when present.</summary>
    private sealed record Entry(string File, string Kind, string Expect, int? Width, int? Height, bool? Damaged);
}
