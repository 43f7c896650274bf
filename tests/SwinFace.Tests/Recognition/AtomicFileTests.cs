using SwinFace.Recognition;

namespace SwinFace.Tests.Recognition;

/// <summary>Temporary files of killed savers are removed by the next save, those of live savers are not.</summary>
public sealed class AtomicFileTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("swinface-atomic-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Write_RemovesTheTemporaryFilesOfKilledWritersOnly()
    {
        string target = Path.Combine(_dir, "people.gallery");
        string killed = Path.Combine(_dir, $".people.gallery.{Guid.NewGuid():N}.tmp");
        string live = Path.Combine(_dir, $".people.gallery.{Guid.NewGuid():N}.tmp");
        string other = Path.Combine(_dir, $".other.gallery.{Guid.NewGuid():N}.tmp");
        File.WriteAllText(killed, "half a gallery");
        File.WriteAllText(other, "another file's");
        using (var writer = new FileStream(live, FileMode.CreateNew, FileAccess.Write, AtomicFile.WriterShare))
        {
            AtomicFile.Write(target, s => s.Write("new"u8));

            Assert.False(File.Exists(killed));
            Assert.True(File.Exists(live), "a temporary file held open by a live writer must stay");
            Assert.True(File.Exists(other), "only the target's own temporary files go");
            Assert.Equal("new", File.ReadAllText(target));
        }

        AtomicFile.Write(target, s => s.Write("newer"u8));
        Assert.False(File.Exists(live));
        Assert.Equal([Path.GetFileName(other), "people.gallery"], Directory.EnumerateFiles(_dir).Select(Path.GetFileName).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Write_LeavesTheTargetAsItWasWhenWritingFails()
    {
        string target = Path.Combine(_dir, "people.gallery");
        File.WriteAllText(target, "old");

        Assert.Throws<IOException>(() => AtomicFile.Write(target, s =>
        {
            s.Write("partial"u8);
            throw new IOException("No space left on device");
        }));

        Assert.Equal("old", File.ReadAllText(target));
        Assert.Empty(AtomicFile.Leftovers(_dir, "people.gallery"));
    }
}
