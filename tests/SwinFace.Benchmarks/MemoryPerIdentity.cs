using System.Diagnostics;
using System.Globalization;
using System.Runtime.CompilerServices;
using SwinFace.Recognition;

namespace SwinFace.Benchmarks;

/// <summary>
/// <c>--memory-per-identity [count]</c>: the managed memory and file bytes one identity of a <see cref="FaceGallery"/>
/// costs, outside BenchmarkDotNet.
/// </summary>
internal static class MemoryPerIdentity
{
    /// <summary>The option that selects this measurement instead of the benchmarks.</summary>
    public const string Option = "--memory-per-identity";

    /// <summary>
    /// The default count: 131,072 = 16 x 2^13 fills the gallery's arrays, which start at 16 rows and double,
    /// so the enrolled figure holds no unused capacity.
    /// </summary>
    public const int DefaultCount = 131_072;

    /// <summary>Measures and prints the figures.</summary>
    /// <param name="args">The command line, starting with <see cref="Option"/>.</param>
    /// <returns>The exit code.</returns>
    public static int Run(string[] args)
    {
        int count = DefaultCount;
        if (args.Length > 1 && (!int.TryParse(args[1], NumberStyles.AllowThousands, CultureInfo.InvariantCulture, out count) || count < 1))
        {
            Console.Error.WriteLine($"usage: {Option} [count]   (count: identities, at least 1; default {DefaultCount})");
            return 2;
        }

        string folder = Directory.CreateTempSubdirectory("swinface-bench-").FullName;
        try
        {
            string file = Path.Combine(folder, "memory.gallery");
            (double enrolledBytes, double enrollSeconds) = EnrollAndSave(count, file);
            long beforeLoad = GC.GetTotalMemory(forceFullCollection: true);
            using FaceGallery loaded = FaceGallery.Load(file);
            long afterLoad = GC.GetTotalMemory(forceFullCollection: true);
            long fileBytes = new FileInfo(file).Length;

            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"identities:                 {count:N0} (enrolled one by one in {enrollSeconds:F1} s)"));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"managed bytes per identity: {enrolledBytes / count:F0} after enrolling, {(afterLoad - beforeLoad) / (double)count:F0} after loading"));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"file bytes per identity:    {fileBytes / (double)count:F0}"));
            GC.KeepAlive(loaded);
            return 0;
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    /// <summary>Enrolls the gallery, measures the memory it holds, saves it and frees it.</summary>
    /// <remarks>Not inlined, so the gallery is unreachable once this returns.</remarks>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static (double Bytes, double Seconds) EnrollAndSave(int count, string file)
    {
        long start = Stopwatch.GetTimestamp();
        long before = GC.GetTotalMemory(forceFullCollection: true);
        using FaceGallery gallery = SyntheticData.Gallery(count, seed: 7);
        long after = GC.GetTotalMemory(forceFullCollection: true);
        double seconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
        gallery.Save(file);
        return (after - before, seconds);
    }
}
