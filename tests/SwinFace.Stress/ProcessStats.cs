using System.Globalization;

namespace SwinFace.Stress;

/// <summary>This process's memory and handles, from /proc/self.</summary>
internal static class ProcessStats
{
    /// <summary>Resident set size now, in bytes (VmRSS).</summary>
    public static long Rss => Status("VmRSS");

    /// <summary>Peak resident set size so far, in bytes (VmHWM).</summary>
    public static long PeakRss => Status("VmHWM");

    public static int Threads => (int)Status("Threads", kilobytes: false);

    /// <summary>Open file descriptors: files, sockets, pipes, event handles.</summary>
    public static int OpenHandles => Directory.GetFileSystemEntries("/proc/self/fd").Length;

    /// <summary>The managed heap after full, compacting collections, in bytes.</summary>
    public static long ManagedHeap()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        return GC.GetTotalMemory(forceFullCollection: true);
    }

    public static string Mb(long bytes) => (bytes / (1024.0 * 1024.0)).ToString("F1", CultureInfo.InvariantCulture) + " MB";

    private static long Status(string key, bool kilobytes = true)
    {
        foreach (string line in File.ReadLines("/proc/self/status"))
        {
            if (line.StartsWith(key + ":", StringComparison.Ordinal))
            {
                long value = long.Parse(line[(key.Length + 1)..].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
                return kilobytes ? value * 1024 : value;
            }
        }

        throw new InvalidOperationException($"/proc/self/status has no {key}");
    }
}
