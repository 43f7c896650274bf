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
    /// <summary>Writes the content to a temporary file, flushes it to disk, then renames it over the target.</summary>
    /// <exception cref="IOException">The folder cannot be written, or the disk is full; the target is unchanged.</exception>
    public static void Write(string path, Action<FileStream> write)
    {
        string full = Path.GetFullPath(path);
        string folder = Path.GetDirectoryName(full)!;
        string name = Path.GetFileName(full);
        RemoveLeftovers(folder, name);
        string temp = Path.Combine(folder, $".{name}.{Guid.NewGuid():N}.tmp");
        try
        {
            // FileShare.Delete lets the file be renamed while open (Windows needs it; Linux allows it anyway),
            // and any open by this process locks it (flock on Unix) against RemoveLeftovers in another one.
            using var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.Delete, 1 << 16);
            write(stream);
            stream.Flush(flushToDisk: true);
            File.Move(temp, full, overwrite: true);
        }
        finally
        {
            if (File.Exists(temp))
            {
                File.Delete(temp);
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
