using System.Diagnostics;
using System.Globalization;
using SwinFace.Recognition;

namespace SwinFace.Stress;

/// <summary>
/// Crash safety of <see cref="FaceGallery.Save(string)"/>. <see cref="Kill"/> starts a saver process that
/// saves generation after generation of a gallery, SIGKILLs it at a random moment, and checks that the file
/// is byte for byte one whole generation, the last one saved or the one being saved, and that temporary
/// files of killed savers never pile up. <see cref="DiskFull"/> saves onto a file system too small for the
/// new gallery.
/// </summary>
internal static class GalleryCrash
{
    private const string FileName = "people.gallery";

    /// <summary>The gallery of generation <paramref name="g"/>: its size and every value follow from g.</summary>
    public static FaceGallery Generation(int g, int? size = null)
    {
        var gallery = new FaceGallery(string.Create(CultureInfo.InvariantCulture, $"generation:{g}"));
        var random = new Random(g);
        int identities = size ?? 1500 + (g % 5 * 500);
        float[] embedding = new float[FaceGallery.Dimension];
        for (int i = 0; i < identities; i++)
        {
            for (int j = 0; j < embedding.Length; j++)
            {
                embedding[j] = (float)(random.NextDouble() - 0.5);
            }

            gallery.Enroll(string.Create(CultureInfo.InvariantCulture, $"person-{g}-{i}"), embedding);
        }

        return gallery;
    }

    /// <summary>The child: saves generations 1, 2, 3... to PATH until killed, saying on stdout when each starts and ends.</summary>
    public static int Saver(string path)
    {
        int g = 0;
        if (File.Exists(path))
        {
            using FaceGallery old = FaceGallery.Load(path);
            g = int.Parse(old.Model!.Split(':')[1], CultureInfo.InvariantCulture);
        }

        while (true)
        {
            g++;
            using FaceGallery next = Generation(g);
            Console.WriteLine($"saving {g}");
            Console.Out.Flush();
            next.Save(path);
            Console.WriteLine($"saved {g}");
            Console.Out.Flush();
        }
    }

    public static int Kill(Args args)
    {
        string dir = Path.GetFullPath(args.Get("dir"));
        int kills = args.Int("kills", 200);
        var random = new Random(args.Int("seed", 12));
        Directory.CreateDirectory(dir);
        string path = Path.Combine(dir, FileName);
        File.Delete(path);
        string reference = Path.Combine(Path.GetTempPath(), $"swinface-reference-{Environment.ProcessId}.gallery");
        int midSave = 0, keptOld = 0, gotNew = 0, maxLeftovers = 0, failures = 0;
        var clock = Stopwatch.StartNew();
        for (int k = 1; k <= kills; k++)
        {
            int saving = 0, saved = 0;
            using (Process child = StartSaver(path))
            {
                // Kill somewhere in the next few saves: each takes a few milliseconds to tens of them.
                int delay = random.Next(0, 400);
                var lines = new System.Collections.Concurrent.ConcurrentQueue<string>();
                child.OutputDataReceived += (_, e) => { if (e.Data is not null) { lines.Enqueue(e.Data); } };
                child.BeginOutputReadLine();
                while (lines.IsEmpty && !child.HasExited)
                {
                    Thread.Sleep(1);
                }

                Thread.Sleep(delay);
                child.Kill();
                child.WaitForExit();
                foreach (string line in lines)
                {
                    string[] parts = line.Split(' ');
                    int g = int.Parse(parts[1], CultureInfo.InvariantCulture);
                    if (parts[0] == "saving")
                    {
                        saving = g;
                    }
                    else
                    {
                        saved = g;
                    }
                }
            }

            int leftovers = AtomicFile.Leftovers(dir, FileName).Count();
            maxLeftovers = Math.Max(maxLeftovers, leftovers);
            string? problem = Check(path, reference, saving, saved, out int found);
            if (saving > saved)
            {
                midSave++;
                // The old content: the last generation saved, by this saver or (before its first save) by the one killed before it.
                keptOld += found != saving ? 1 : 0;
                gotNew += found == saving ? 1 : 0;
            }

            // The killed saver's temporary file, if any; the next save removes it.
            if (problem is null && leftovers > 1)
            {
                problem = $"{leftovers} temporary files are left: killed savers' files pile up";
            }

            if (problem is not null)
            {
                failures++;
                Console.WriteLine($"FAIL kill {k} (saving {saving}, saved {saved}): {problem}");
            }
        }

        // A normal save after all the kills: succeeds, and leaves no temporary file.
        using (FaceGallery last = Generation(100_000))
        {
            last.Save(path);
        }

        int remaining = AtomicFile.Leftovers(dir, FileName).Count();
        if (remaining != 0)
        {
            failures++;
            Console.WriteLine($"FAIL {remaining} temporary files remain after a normal save");
        }

        File.Delete(reference);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"gallery-kill: {kills} SIGKILLs in {clock.Elapsed.TotalSeconds:F0} s, {midSave} of them during a save ({keptOld} left the old file, {gotNew} the new one), " +
            $"at most {maxLeftovers} temporary file left at a time; {kills - failures} of {kills} loaded whole; {failures} failures"));
        return failures == 0 ? 0 : 1;
    }

    public static int DiskFull(Args args)
    {
        string dir = Path.GetFullPath(args.Get("dir"));
        string path = Path.Combine(dir, FileName);
        using (FaceGallery small = Generation(3, size: 50))
        {
            small.Save(path);
        }

        byte[] before = File.ReadAllBytes(path);
        var drive = new DriveInfo(dir);
        int g = 1;
        string? message = null;
        while (message is null && g < 10_000)
        {
            // Generations grow with g % 5; a gallery bigger than the free space is found within a few.
            using FaceGallery big = Generation(g * 5 + 4, size: 10);
            Enlarge(big, drive.AvailableFreeSpace);
            try
            {
                big.Save(path);
                g++;
            }
            catch (IOException e)
            {
                message = e.Message;
            }
        }

        var problems = new List<string>();
        if (message is null)
        {
            problems.Add("no save failed: is the folder on a small file system?");
        }

        if (!File.ReadAllBytes(path).AsSpan().SequenceEqual(before))
        {
            problems.Add("the old gallery file changed");
        }

        if (AtomicFile.Leftovers(dir, FileName).Any())
        {
            problems.Add("a temporary file was left");
        }

        using (FaceGallery old = FaceGallery.Load(path))
        using (FaceGallery expected = Generation(3, size: 50))
        {
            if (old.Count != expected.Count || old.Model != expected.Model)
            {
                problems.Add("the old gallery does not load as it was");
            }
        }

        using (FaceGallery small = Generation(4, size: 50))
        {
            small.Save(path);
        }

        Console.WriteLine($"gallery-disk-full: {drive.TotalSize / 1048576} MB file system; the save failed with: {message}");
        foreach (string p in problems)
        {
            Console.WriteLine("FAIL " + p);
        }

        Console.WriteLine(problems.Count == 0 ? "gallery-disk-full: clear error, old file intact, no temporary file left, the next save works" : "gallery-disk-full: failed");
        return problems.Count == 0 ? 0 : 1;
    }

    /// <summary>Enrolls identities until the gallery's file would need more than <paramref name="bytes"/>.</summary>
    private static void Enlarge(FaceGallery gallery, long bytes)
    {
        float[] embedding = new float[FaceGallery.Dimension];
        embedding[0] = 1;
        for (int i = 0; (long)gallery.Count * 2100 < bytes + (1 << 20); i++)
        {
            embedding[1 + (i % 511)] += 1;
            gallery.Enroll(string.Create(CultureInfo.InvariantCulture, $"extra-{i}"), embedding);
        }
    }

    private static Process StartSaver(string path)
    {
        var info = new ProcessStartInfo(Environment.ProcessPath!)
        {
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        if (!Environment.ProcessPath!.EndsWith("SwinFace.Stress", StringComparison.Ordinal))
        {
            info.ArgumentList.Add(typeof(GalleryCrash).Assembly.Location);
        }

        info.ArgumentList.Add("gallery-saver");
        info.ArgumentList.Add(path);
        return Process.Start(info)!;
    }

    /// <summary>Loads the file and compares it byte for byte with the generation it names, which must be the last saved or the one being saved.</summary>
    private static string? Check(string path, string reference, int saving, int saved, out int found)
    {
        found = 0;
        if (!File.Exists(path))
        {
            return saved == 0 ? null : "the gallery file is gone";
        }

        try
        {
            using FaceGallery loaded = FaceGallery.Load(path);
            found = int.Parse(loaded.Model!.Split(':')[1], CultureInfo.InvariantCulture);
        }
        catch (InvalidDataException e)
        {
            return "the gallery does not load: " + e.Message;
        }

        // Generations before this run's first are the previous savers'; any whole one of them is right before its first save.
        if (found != saved && found != saving && !(saved == 0 && found < saving))
        {
            return $"generation {found} found, expected {saved} (the last saved) or {saving} (the one being saved)";
        }

        using (FaceGallery expected = Generation(found))
        {
            expected.Save(reference);
        }

        return File.ReadAllBytes(path).AsSpan().SequenceEqual(File.ReadAllBytes(reference)) ? null : $"generation {found} loads, but its bytes differ from that generation's";
    }
}
