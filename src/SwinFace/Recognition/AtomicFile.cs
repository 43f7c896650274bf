namespace SwinFace.Recognition;

/// <summary>Replaces a file all at once, so a crash never leaves it half written.</summary>
/// <remarks>
/// The new content goes to a temporary file in the target's folder, <c>.NAME.GUID.tmp</c>, which is flushed
/// to disk and renamed over the target; a rename within a folder is atomic, so readers see the old file or
/// the new one, never a mix. The writer holds its temporary file locked until the rename is done. A process
/// killed while saving leaves its temporary file behind, unlocked: the next save removes every such file of
/// the same target that no live writer holds, so leftovers neither block saves nor pile up.
/// </remarks>
internal static class AtomicFile
{
    /// <summary>
    /// How the writer holds its temporary file: locked against every other open, RemoveLeftovers' included,
    /// and still renamable while open. On Unix, FileShare.None takes an exclusive flock and a rename needs no
    /// sharing; on Windows the OS enforces sharing itself, and a rename of an open file needs FileShare.Delete.
    /// (On Unix, FileShare.Delete takes no lock at all: a concurrent save would delete a live writer's file.)
    /// </summary>
    private static readonly Lock CleanupLock = new();

    internal static readonly FileShare WriterShare = OperatingSystem.IsWindows() ? FileShare.Delete : FileShare.None;

    /// <summary>Writes the content to a temporary file, flushes it to disk, then renames it over the target.</summary>
    /// <exception cref="IOException">The folder cannot be written, or the disk is full; the target is unchanged.</exception>
    public static void Write(string path, Action<FileStream> write)
    {
        string full = Path.GetFullPath(path);
        string folder = Path.GetDirectoryName(full)!;
        string name = Path.GetFileName(full);
        string temp = string.Empty;
        try
        {
            using FileStream stream = CreateTemporary(folder, name, out temp);
            write(stream);
            stream.Flush(flushToDisk: true);
            File.Move(temp, full, overwrite: true);
        }
        finally
        {
            if (temp.Length > 0 && File.Exists(temp))
            {
                File.Delete(temp);
            }
        }
    }

    /// <summary>
    /// Removes the leftovers of killed writers and creates this save's temporary file, locked. Within the
    /// process the two steps run under one lock, so a cleanup never takes a file that another thread has
    /// just created and not yet locked; across processes that window is a few microseconds, and a save that
    /// hits it tries a new name.
    /// </summary>
    private static FileStream CreateTemporary(string folder, string name, out string temp)
    {
        lock (CleanupLock)
        {
            RemoveLeftovers(folder, name);
            for (int attempt = 1; ; attempt++)
            {
                temp = Path.Combine(folder, $".{name}.{Guid.NewGuid():N}.tmp");
                try
                {
                    return new FileStream(temp, FileMode.CreateNew, FileAccess.Write, WriterShare, 1 << 16);
                }
                catch (IOException) when (attempt < 3 && File.Exists(temp))
                {
                    // Another process's cleanup locked the new file before this one could: it deletes it.
                }
            }
        }
    }

    /// <summary>The temporary files that <see cref="Write"/> would leave for <paramref name="name"/> if killed.</summary>
    internal static IEnumerable<string> Leftovers(string folder, string name) =>
        Directory.EnumerateFiles(folder, $".{name}.*.tmp").Where(f => Path.GetFileName(f).Length == name.Length + 38);

    /// <summary>Deletes the temporary files of killed writers: those that nobody holds open.</summary>
    private static void RemoveLeftovers(string folder, string name)
    {
        foreach (string file in Leftovers(folder, name))
        {
            try
            {
                // An exclusive open fails while a live writer holds the file; otherwise the file goes when closed.
                using var stale = new FileStream(file, FileMode.Open, FileAccess.ReadWrite, FileShare.None, 1, FileOptions.DeleteOnClose);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Held by a writer that is still running, or already gone.
            }
        }
    }
}
