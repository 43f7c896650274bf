using System.Diagnostics;
using System.Globalization;
using SwinFace.Analysis;

namespace SwinFace.Stress;

/// <summary>
/// Analyses photos over and over in one process (paths, bytes and streams in turn, readable and unreadable
/// files mixed) and samples RSS, the managed heap, open handles and threads. After the warm-up, RSS must
/// grow by at most --max-rss-growth-mb, the managed heap by at most --max-heap-growth-mb, and the open handles
/// not at all.
/// </summary>
internal static class Soak
{
    public static int Run(Args args)
    {
        int analyses = args.Int("analyses", 10_000);
        int warmup = args.Int("warmup", Math.Max(1, analyses / 10));
        int samples = args.Int("samples", 40);
        double maxRssGrowthMb = args.Double("max-rss-growth-mb", 5);
        double maxHeapGrowthMb = args.Double("max-heap-growth-mb", 1);
        // A deliberate native leak of this many KB an analysis, to show that the check fails when it should.
        int leakKb = args.Int("leak-kb", 0);
        byte[] leakPages = new byte[leakKb * 1024];
        Array.Fill(leakPages, (byte)1);
        string[] photos = [.. args.Positional];
        if (photos.Length == 0)
        {
            throw new ArgumentException("give the photos to cycle through");
        }

        byte[][] bytes = photos.Select(File.ReadAllBytes).ToArray();
        using FaceAnalyzer analyzer = FaceAnalyzer.Create(args.Get("model"), new FaceAnalyzerOptions { AnalyzeDamagedPhotos = args.Find("damaged") == "analyse" });
        var clock = Stopwatch.StartNew();
        Sample? start = null;
        var after = new List<Sample>();
        int faces = 0, errors = 0;
        int every = Math.Max(1, (analyses - warmup) / samples);
        Console.WriteLine($"{"analyses",9} {"seconds",8} {"RSS MB",8} {"heap MB",8} {"handles",8} {"threads",8}");
        for (int i = 1; i <= analyses; i++)
        {
            int k = i % photos.Length;
            try
            {
                // Each way in, in turn: the path, the bytes, a stream.
                PhotoAnalysis photo = (i / photos.Length % 3) switch
                {
                    0 => analyzer.AnalyzePhoto(photos[k]),
                    1 => analyzer.AnalyzePhoto(bytes[k]),
                    _ => analyzer.AnalyzePhoto(new MemoryStream(bytes[k], writable: false)),
                };
                faces += photo.Faces.Count;
            }
            catch (SwinFaceImageException)
            {
                errors++;
            }

            if (leakKb > 0)
            {
                // Written, so that its pages count in RSS; never freed.
                System.Runtime.InteropServices.Marshal.Copy(leakPages, 0, System.Runtime.InteropServices.Marshal.AllocHGlobal(leakPages.Length), leakPages.Length);
            }

            if (i == warmup || (i > warmup && (i - warmup) % every == 0) || i == analyses)
            {
                Sample s = Take(i, clock.Elapsed.TotalSeconds);
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{s.Analyses,9} {s.Seconds,8:F0} {s.Rss / 1048576.0,8:F1} {s.Heap / 1048576.0,8:F2} {s.Handles,8} {s.Threads,8}"));
                if (i == warmup)
                {
                    start = s;
                }
                else if (start is not null)
                {
                    after.Add(s);
                }
            }
        }

        Sample end = after[^1];

        // RSS moves between levels tens of MB apart as pooled buffers are taken and given back, and which levels a
        // quarter's few samples catch is chance: the median of 4 samples rose by 6.5 MB on a flat series (193.8 and
        // 213.6 MB in turns) in a CI run. So growth is the floor: the lowest sample of the last quarter over the
        // lowest of the first (with the sample at the end of the warm-up). A leak raises the floor; the swings do not.
        Sample[] all = [start!, .. after];
        int quarter = Math.Max(1, all.Length / 4);
        double rssGrowth = (all[^quarter..].Min(s => s.Rss) - all[..quarter].Min(s => s.Rss)) / 1048576.0;
        double heapGrowth = (after.Max(s => s.Heap) - start!.Heap) / 1048576.0;
        // Handles too: a sample now and then sees two more, open for an instant on another thread (81 to 83 and back).
        double handleGrowth = MedianOf(all[^quarter..], s => s.Handles) - MedianOf(all[..quarter], s => s.Handles);
        int threadGrowth = after.Max(s => s.Threads) - start.Threads;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"soak: {analyses} analyses ({faces} faces, {errors} unreadable) in {end.Seconds:F0} s; after {warmup} of warm-up: RSS {rssGrowth:+0.0;-0.0} MB, the last quarter's lowest sample over the first's (bound {maxRssGrowthMb}; samples {ProcessStats.Mb(all.Min(s => s.Rss))} to {ProcessStats.Mb(all.Max(s => s.Rss))}), managed heap +{heapGrowth:F2} MB (bound {maxHeapGrowthMb}), handles {handleGrowth:+0;-0} ({all.Min(s => s.Handles)} to {all.Max(s => s.Handles)}), threads +{threadGrowth}; peak RSS {ProcessStats.Mb(ProcessStats.PeakRss)}"));
        // Threads are reported, not bounded: the thread pool that ImageSharp's row loops use grows and shrinks by itself.
        bool ok = rssGrowth <= maxRssGrowthMb && heapGrowth <= maxHeapGrowthMb && handleGrowth <= 0;
        Console.WriteLine(ok ? "soak: flat" : "FAIL soak: memory, handles or threads grew");
        return ok ? 0 : 1;
    }

    private static double MedianOf(Sample[] samples, Func<Sample, long> value)
    {
        long[] v = samples.Select(value).Order().ToArray();
        return v.Length % 2 == 1 ? v[v.Length / 2] : (v[(v.Length / 2) - 1] + v[v.Length / 2]) / 2.0;
    }

    private static Sample Take(int analyses, double seconds)
    {
        long heap = ProcessStats.ManagedHeap();
        return new Sample(analyses, seconds, ProcessStats.Rss, heap, ProcessStats.OpenHandles, ProcessStats.Threads);
    }

    private sealed record Sample(int Analyses, double Seconds, long Rss, long Heap, int Handles, int Threads);
}
