using System.IO.Compression;
using SwinFace.Inference;

namespace SwinFace.Tests.Inference;

/// <summary>The stored-ZIP reader and writer under the model file and checkpoint readers.</summary>
public sealed class StoredZipTests
{
    [Fact]
    public void Read_RefusesACompressedEntry()
    {
        var buffer = new MemoryStream();
        using (var zip = new ZipArchive(buffer, ZipArchiveMode.Create, leaveOpen: true))
        {
            using Stream s = zip.CreateEntry("manifest.json", CompressionLevel.Optimal).Open();
            s.Write(new byte[1000]);
        }

        var e = Assert.Throws<SwinFaceModelException>(() => Read(buffer.ToArray()));
        Assert.Contains("entry 'manifest.json' is compressed (method 8)", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Writer_RoundTripsThroughTheReaderAndDotNetsZip()
    {
        var buffer = new MemoryStream();
        var writer = new StoredZipWriter(buffer);
        string digest = writer.Add("a.bin", s => s.Write([1, 2, 3]));
        writer.Add("b.txt", s => s.Write("hello"u8));
        writer.Finish();
        Assert.Equal(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(new byte[] { 1, 2, 3 })), digest);

        StoredZip zip = Read(buffer.ToArray());
        Assert.Equal(["a.bin", "b.txt"], zip.Entries.Select(e => e.Name));
        Assert.Equal("hello"u8.ToArray(), zip.ReadAll(zip.Find("b.txt")!, 100));
        using var dotnet = new ZipArchive(new MemoryStream(buffer.ToArray()));
        Assert.Equal(2, dotnet.Entries.Count);
    }

    [Fact]
    public void Read_GivesOnlyModelExceptionsForMutatedModelFiles()
    {
        // Seeded random damage to the directory and headers of a real model file.
        byte[] model = File.ReadAllBytes(TestData.TinyModel);
        var random = new Random(20231202);
        for (int trial = 0; trial < 400; trial++)
        {
            byte[] copy = (byte[])model.Clone();
            int flips = random.Next(1, 8);
            for (int f = 0; f < flips; f++)
            {
                // Mostly the last 4 KB (the central directory), sometimes anywhere.
                int at = random.Next(4) == 0 ? random.Next(copy.Length) : copy.Length - 1 - random.Next(Math.Min(4096, copy.Length));
                copy[at] = (byte)random.Next(256);
            }

            try
            {
                StoredZip zip = Read(copy);
                foreach (StoredZip.Entry entry in zip.Entries)
                {
                    zip.ReadAll(entry, long.MaxValue);
                }
            }
            catch (SwinFaceModelException)
            {
            }
        }
    }

    private static StoredZip Read(byte[] data) => StoredZip.Read(RandomAccessBytes.Wrap(new MemoryStream(data)), "test.zip", "a test archive");
}
