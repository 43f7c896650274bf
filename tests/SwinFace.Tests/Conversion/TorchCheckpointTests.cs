using System.Text;
using System.Text.Json;
using SwinFace.Conversion;
using SwinFace.Inference;

namespace SwinFace.Tests.Conversion;

/// <summary>The checkpoint reader on real files of torch.save and on hostile ones (models/export/checkpoint_fixtures.py).</summary>
public sealed class TorchCheckpointTests
{
    [Theory]
    [InlineData("dtypes.pt")]
    [InlineData("archive-protocol4.pt")]
    public void Read_DecodesEveryDTypeWithOffsetsAndStrides(string file)
    {
        PickleDict root = Assert.IsType<PickleDict>(Read(file).Root);
        using JsonDocument expected = JsonDocument.Parse(File.ReadAllBytes(TestData.Checkpoint("dtypes.json")));
        Assert.Equal(expected.RootElement.EnumerateObject().Count(), root.Count);
        foreach (JsonProperty p in expected.RootElement.EnumerateObject())
        {
            Assert.True(root.TryGet(p.Name, out object? value), p.Name);
            TorchTensor t = Assert.IsType<TorchTensor>(value);
            Assert.Equal(p.Value.GetProperty("shape").EnumerateArray().Select(d => d.GetInt64()), t.Shape);
            double[] want = p.Value.GetProperty("values").EnumerateArray().Select(v => v.GetDouble()).ToArray();
            if (t.DType is TorchDType.Float32 or TorchDType.Float64 or TorchDType.Float16 or TorchDType.BFloat16)
            {
                float[] got = new float[t.Count];
                t.ReadSingles(got);
                Assert.Equal(want.Select(v => (float)v), got);
            }
            else
            {
                long[] got = new long[t.Count];
                t.ReadInt64s(got);
                Assert.Equal(want.Select(v => (long)v), got);
            }
        }
    }

    [Fact]
    public void Read_LoadsStoragesSavedOnAGpu()
    {
        PickleDict root = Assert.IsType<PickleDict>(Read("dtypes.pt").Root);
        root.TryGet("f32_strided", out object? value);
        TorchTensor t = Assert.IsType<TorchTensor>(value);
        Assert.Equal("cuda:0", t.Storage.Location);
        Assert.Equal(2, t.Offset);
        Assert.Equal([1L, 4L], t.Strides);
    }

    [Fact]
    public void Read_RefusesTheLegacyFormatAndSaysHowToResave()
    {
        string message = Error("legacy.pt");
        Assert.Contains("legacy serialization format", message, StringComparison.Ordinal);
        Assert.Contains("torch.save(torch.load('old.pt'", message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("evil-posix-system.pt", "'posix.system'")]
    [InlineData("evil-builtins-eval.pt", "'builtins.eval'")]
    public void Read_RefusesAForbiddenGlobalByName(string file, string global)
    {
        string message = Error(file);
        Assert.Contains($"refers to the global {global}", message, StringComparison.Ordinal);
        Assert.Contains("refused", message, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_RefusesAStorageShorterThanItsHeader()
    {
        Assert.Contains("should hold 8 x torch.float32 = 32 bytes, but entry 'hand/data/0' has 24", Error("short-storage.pt"), StringComparison.Ordinal);
    }

    [Fact]
    public void Read_RefusesAViewThatReachesPastItsStorage()
    {
        Assert.Contains("reaches element 6, but the storage holds 6 elements", Error("view-past-storage.pt"), StringComparison.Ordinal);
    }

    [Fact]
    public void Read_ReadsAnEmptyViewWhateverItsOffset()
    {
        // A 0 x 3 view at offset 7 of a 6-element storage: PyTorch allows it (an empty view may point anywhere), and
        // reading it used its offset to slice the storage (ArgumentOutOfRangeException). A checkpoint written by hand.
        byte[] file = File.ReadAllBytes(Path.Combine(TestData.RepoRoot, "tests", "SwinFace.Fuzz", "regressions", "checkpoint", "empty-view-past-storage.pt"));
        TorchCheckpoint checkpoint = TorchCheckpoint.Read(RandomAccessBytes.Wrap(new MemoryStream(file)), "empty-view.pt");
        Assert.True(Assert.IsType<PickleDict>(checkpoint.Root).TryGet("x", out object? value));
        TorchTensor t = Assert.IsType<TorchTensor>(value);
        Assert.Equal([0L, 3L], t.Shape);
        Assert.Equal(7, t.Offset);

        t.ReadSingles([]);
    }

    [Fact]
    public void Read_RefusesAFileThatIsNotACheckpoint()
    {
        Assert.Contains("not a ZIP archive", Error(Encoding.UTF8.GetBytes("this is not a checkpoint")), StringComparison.Ordinal);
        Assert.Contains("expected a PyTorch checkpoint, with an entry NAME/data.pkl", Error(File.ReadAllBytes(TestData.TinyModel)), StringComparison.Ordinal);
    }

    [Fact]
    public void Read_RefusesEveryTruncationOfARealCheckpoint()
    {
        byte[] whole = File.ReadAllBytes(TestData.Checkpoint("dtypes.pt"));
        for (int length = 0; length < whole.Length; length += 97)
        {
            Error(whole[..length]);
        }
    }

    [Fact]
    public void Read_DetectsAFlippedBitInAStorage()
    {
        byte[] bytes = File.ReadAllBytes(TestData.Checkpoint("dtypes.pt"));
        using (RandomAccessBytes clean = RandomAccessBytes.Wrap(new MemoryStream(bytes)))
        {
            StoredZip.Entry entry = StoredZip.Read(clean, "dtypes.pt", "a checkpoint").Entries.First(e => e.Name.Contains("/data/", StringComparison.Ordinal));
            bytes[entry.Offset] ^= 1;
        }

        using RandomAccessBytes damaged = RandomAccessBytes.Wrap(new MemoryStream(bytes));
        TorchCheckpoint checkpoint = TorchCheckpoint.Read(damaged, "dtypes.pt");
        var root = (PickleDict)checkpoint.Root!;
        var e = Assert.Throws<SwinFaceModelException>(() =>
        {
            foreach ((object _, object? value) in root.Items)
            {
                var t = (TorchTensor)value!;
                if (t.DType is TorchDType.Float32 or TorchDType.Float64 or TorchDType.Float16 or TorchDType.BFloat16)
                {
                    t.ReadSingles(new float[t.Count]);
                }
                else
                {
                    t.ReadInt64s(new long[t.Count]);
                }
            }
        });
        Assert.Contains("is damaged: its bytes have CRC-32", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(new byte[] { 0x80, 0x02, (byte)'i', (byte)'o', (byte)'s', (byte)'\n', (byte)'s', (byte)'\n', (byte)'.' }, "unsupported pickle opcode 0x69 ('i')")]
    [InlineData(new byte[] { 0x80, 0x02, (byte)'h', 7, (byte)'.' }, "memo entry 7 used before it was stored")]
    [InlineData(new byte[] { 0x80, 0x02, (byte)'t', (byte)'.' }, "needs a MARK")]
    [InlineData(new byte[] { 0x80, 0x02, (byte)'X', 0xff, 0xff, 0xff, 0x7f }, "a length of 2147483647 bytes")]
    [InlineData(new byte[] { 0x80, 0x02, (byte)'}', (byte)'N', (byte)'N', (byte)'s', (byte)'.' }, "a dict key of type None")]
    [InlineData(new byte[] { 0x80, 0x02, (byte)'N', (byte)'N', (byte)'.' }, "STOP with 2 values")]
    [InlineData(new byte[] { 0x80, 0x02, (byte)'N' }, "the pickle ends early")]
    [InlineData(new byte[] { 0x80, 0x09, (byte)'.' }, "pickle protocol 9")]
    public void Unpickler_RefusesMalformedPickles(byte[] pickle, string message)
    {
        var e = Assert.Throws<SwinFaceModelException>(() => Unpickler.Load(pickle, "test", _ => new object(), (_, _) => null));
        Assert.Contains(message, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Unpickler_RefusesAGlobalEvenIfNothingCallsIt()
    {
        byte[] pickle = [0x80, 0x02, (byte)'c', .. "subprocess\nPopen\n"u8, (byte)'.'];
        var e = Assert.Throws<SwinFaceModelException>(() => Unpickler.Load(pickle, "test", _ => new object(), (_, _) => null));
        Assert.Contains("'subprocess.Popen'", e.Message, StringComparison.Ordinal);
    }

    // The tensors read their storages later, so the bytes stay open: a memory stream needs no disposal.
    private static TorchCheckpoint Read(string file) =>
        TorchCheckpoint.Read(RandomAccessBytes.Wrap(new MemoryStream(File.ReadAllBytes(TestData.Checkpoint(file)))), file);

    private static string Error(string file) => Error(File.ReadAllBytes(TestData.Checkpoint(file)));

    private static string Error(byte[] data)
    {
        using RandomAccessBytes bytes = RandomAccessBytes.Wrap(new MemoryStream(data));
        return Assert.Throws<SwinFaceModelException>(() => TorchCheckpoint.Read(bytes, "checkpoint")).Message;
    }
}
