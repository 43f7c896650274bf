using System.Buffers.Binary;
using SwinFace.Recognition;
using static SwinFace.Tests.Recognition.RecognitionTestData;

namespace SwinFace.Tests.Recognition;

/// <summary>Saving and loading galleries, and refusing damaged or foreign files.</summary>
public sealed class GalleryFileTests : IDisposable
{
    private const int Identities = 300;

    private readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    [Fact]
    public void SaveAndLoad_KeepTheModelId()
    {
        string path = Path.Combine(Path.GetTempPath(), $"swinface-gallery-{Guid.NewGuid():N}.gallery");
        try
        {
            var random = new Random(3);
            using (var gallery = new FaceGallery("sha256:abc"))
            {
                float[] e = new float[512];
                for (int i = 0; i < e.Length; i++)
                {
                    e[i] = random.NextSingle() - 0.5f;
                }

                gallery.Enroll("a", e);
                gallery.Save(path);
            }

            using FaceGallery loaded = FaceGallery.Load(path);
            Assert.Equal("sha256:abc", loaded.Model);
            Assert.Equal(1, loaded.Count);
            using var plain = new FaceGallery();
            Assert.Null(plain.Model);
            Assert.Throws<ArgumentException>(() => new FaceGallery(new string('m', 300)));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void SaveLoad_RoundTripsEveryIdentity()
    {
        var random = new Random(20);
        using FaceGallery original = Build(random);
        string path = _folder.File("gallery.swfgal");
        original.Save(path);

        using FaceGallery loaded = FaceGallery.Load(path);
        Assert.Equal(original.Count, loaded.Count);
        Assert.Equal(original.GetIds(), loaded.GetIds());
        Assert.All(original.GetIds(), id => Assert.Equal(original.GetFaceCount(id), loaded.GetFaceCount(id)));
        for (int i = 0; i < 5; i++)
        {
            float[] probe = Embedding(random);
            Assert.Equal(original.Search(probe, 20), loaded.Search(probe, 20));
        }

        // The saved sum length keeps later enrollments a true running mean.
        float[] more = Embedding(random);
        original.Enroll("José 東京", more);
        loaded.Enroll("José 東京", more);
        Assert.Equal(3, loaded.GetFaceCount("José 東京"));
        float[] probe2 = Embedding(random);
        Assert.Equal(original.Search(probe2, 5), loaded.Search(probe2, 5), (a, b) => a.Id == b.Id && Math.Abs(a.Similarity - b.Similarity) < 1e-6f);
    }

    [Fact]
    public void SaveLoad_RoundTripsAnEmptyGallery()
    {
        string path = _folder.File("empty.swfgal");
        using (var empty = new FaceGallery())
        {
            empty.Save(path);
        }

        Assert.Equal(16 + 2 + 32, new FileInfo(path).Length); // header, empty model id, SHA-256
        using FaceGallery loaded = FaceGallery.Load(path);
        Assert.Equal(0, loaded.Count);
    }

    [Fact]
    public void Save_ReplacesTheFileAndLeavesNoTemporaryFiles()
    {
        var random = new Random(21);
        string path = _folder.File("gallery.swfgal");
        using FaceGallery gallery = Build(random);
        gallery.Save(path);
        gallery.Remove(gallery.GetIds()[0]);
        gallery.Save(path);

        Assert.Equal(["gallery.swfgal"], _folder.Files());
        using FaceGallery loaded = FaceGallery.Load(path);
        Assert.Equal(gallery.Count, loaded.Count);
        Assert.Throws<DirectoryNotFoundException>(() => gallery.Save(_folder.File(Path.Combine("missing", "g.swfgal"))));
        Assert.Equal(["gallery.swfgal"], _folder.Files());
    }

    [Fact]
    public void Load_ThrowsForAFlippedByte()
    {
        byte[] bytes = Saved(out string path);
        bytes[16 + (Identities * 8) + 1000] ^= 0x40; // inside the templates
        File.WriteAllBytes(path, bytes);
        Assert.Contains("checksum mismatch: the file is corrupt or truncated", Load(path), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(10, "checksum mismatch")]
    [InlineData(200_000, "truncated: 300 identities need at least")]
    [InlineData(-10, "truncated: the header needs 16 bytes")]
    public void Load_ThrowsForATruncatedFile(int cut, string what)
    {
        byte[] bytes = Saved(out string path);
        File.WriteAllBytes(path, bytes[..(cut > 0 ? bytes.Length - cut : -cut)]);
        Assert.Contains(what, Load(path), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(new byte[0])]
    [InlineData(new byte[] { 0x50, 0x4B, 0x03, 0x04, 0x14, 0x00, 0x00, 0x00, 0x08, 0x00, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 })]
    public void Load_ThrowsForAForeignFile(byte[] content)
    {
        string path = _folder.File("foreign.bin");
        File.WriteAllBytes(path, content);
        Assert.Contains("not a SwinFace gallery file (magic bytes", Load(path), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(6, 2, "format version 2, but this library reads version 1")]
    [InlineData(8, 128, "embedding dimension 128, expected 512")]
    [InlineData(12, -1, "identity count -1 is out of range")]
    [InlineData(12, 10, "more than 10 identities can fill")]
    public void Load_ThrowsForAnotherLayout(int offset, int value, string what)
    {
        byte[] bytes = Saved(out string path);
        if (offset == 6)
        {
            BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(offset), (ushort)value);
        }
        else
        {
            BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(offset), value);
        }

        File.WriteAllBytes(path, bytes);
        Assert.Contains(what, Load(path), StringComparison.Ordinal);
    }

    [Fact]
    public void Load_ThrowsForAMissingFile()
    {
        Assert.Throws<FileNotFoundException>(() => FaceGallery.Load(_folder.File("none.swfgal")));
        Assert.Throws<ArgumentException>(() => FaceGallery.Load(""));
    }

    /// <summary>A gallery with single- and multi-face identities, a removal, a rename and a non-ASCII id.</summary>
    private static FaceGallery Build(Random random)
    {
        var gallery = new FaceGallery();
        for (int i = 0; i < Identities; i++)
        {
            gallery.Enroll($"person {i}", i % 4 == 0 ? [Embedding(random), Embedding(random)] : [Embedding(random)]);
        }

        gallery.Remove("person 7");
        gallery.Rename("person 8", "José 東京");
        gallery.Enroll("last", Embedding(random));
        return gallery;
    }

    private static string Load(string path) => Assert.Throws<InvalidDataException>(() => FaceGallery.Load(path)).Message;

    private byte[] Saved(out string path)
    {
        path = _folder.File("gallery.swfgal");
        using FaceGallery gallery = Build(new Random(22));
        gallery.Save(path);
        return File.ReadAllBytes(path);
    }
}
