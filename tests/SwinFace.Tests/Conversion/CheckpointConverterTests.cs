using System.IO.Compression;
using System.Security.Cryptography;
using SwinFace.Conversion;

namespace SwinFace.Tests.Conversion;

/// <summary>
/// The C# converter: strict loading with the Python exporter's messages, and, on the full-size seeded
/// checkpoint that <c>models/make-full-parity.sh</c> writes (CI sets <c>SWINFACE_FULL_DIR</c>), a model file
/// equal to the Python exporter's byte for byte.
/// </summary>
public sealed class CheckpointConverterTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("swinface-convert-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Convert_FullSizeCheckpoint_EqualsThePythonExportByteForByte()
    {
        if (TestData.FullDir is not { } full)
        {
            return; // Needs the full-size artifacts of models/make-full-parity.sh; test.sh and CI always make them.
        }

        string output = Path.Combine(_dir, "converted.swinface");
        ConversionResult result = CheckpointConverter.Convert(Path.Combine(full, "checkpoint.pt"), output);
        string python = Path.Combine(full, "swinface-full.swinface");
        Assert.Equal(new FileInfo(python).Length, result.Bytes);
        Assert.StartsWith("checkpoint sha256 ", result.Source, StringComparison.Ordinal);
        if (!File.ReadAllBytes(output).AsSpan().SequenceEqual(File.ReadAllBytes(python)))
        {
            // Say which entry differs, to point at the graph or the manifest.
            using ZipArchive a = ZipFile.OpenRead(output), b = ZipFile.OpenRead(python);
            string[] differing = a.Entries.Select(e => e.FullName)
                .Where(n => b.GetEntry(n) is not { } other || Hash(a.GetEntry(n)!) != Hash(other))
                .ToArray();
            Assert.Fail($"The converted model file differs from the Python export; entries that differ: [{string.Join(", ", differing)}].");
        }
    }

    [Fact]
    public void Create_FromTheCheckpoint_EqualsCreateFromTheExportedModel()
    {
        if (TestData.FullDir is not { } full)
        {
            return; // Needs the full-size artifacts, as above.
        }

        using FaceAnalyzer fromCheckpoint = FaceAnalyzer.Create(Path.Combine(full, "checkpoint.pt"));
        using FaceAnalyzer fromFile = FaceAnalyzer.Create(Path.Combine(full, "swinface-full.swinface"));
        Assert.Equal(fromFile.ModelSource, fromCheckpoint.ModelSource);
        Assert.Equal(fromFile.ModelId, fromCheckpoint.ModelId);
        byte[] face = File.ReadAllBytes(Path.Combine(full, "golden", "face_00.png"));
        using var image = SixLabors.ImageSharp.Image.Load<SixLabors.ImageSharp.PixelFormats.Rgb24>(face);
        SwinFace.Analysis.FaceAnalysis a = fromCheckpoint.Analyze(image), b = fromFile.Analyze(image);
        Assert.Equal(b.Embedding, a.Embedding);
        Assert.Equal(b.Age, a.Age);
        Assert.Equal(b.Attributes!.Select(x => x.Probability), a.Attributes!.Select(x => x.Probability));
    }

    [Fact]
    public void Convert_TheOfficialLayout_WritesAModelThatLoads()
    {
        string output = Path.Combine(_dir, "official.swinface");
        CheckpointConverter.Convert(TestData.Checkpoint("official.pt"), output);
        using FaceAnalyzer analyzer = FaceAnalyzer.Create(output);
        Assert.Equal("swin_t-1", analyzer.ModelVersion);
        using FaceAnalyzer direct = FaceAnalyzer.Create(TestData.Checkpoint("official.pt"));
        Assert.Equal(analyzer.ModelId, direct.ModelId);
        using FaceAnalyzer tiny = FaceAnalyzer.Create(TestData.TinyModel);
        Assert.NotEqual(analyzer.ModelId, tiny.ModelId);
        Assert.Matches("^sha256:[0-9a-f]{64}$", tiny.ModelId);
        using var face = new SixLabors.ImageSharp.Image<SixLabors.ImageSharp.PixelFormats.Rgb24>(112, 112);
        Assert.Equal(512, analyzer.Analyze(face, SwinFace.Analysis.FaceTasks.Identity).Embedding!.Length);
    }

    [Theory]
    [InlineData("official-missing-part.pt", "missing top-level key 'state_dict_om'")]
    [InlineData("official-missing-key.pt", "state_dict_fam: missing key 'nets.3.norm.running_var'")]
    [InlineData("official-unexpected-key.pt", "state_dict_om: unexpected key 'output_fcs.42.weight'")]
    [InlineData("official-wrong-shape.pt", "state_dict_tss: 'nets.0.feature.0.bias' is [511] torch.float32, expected [512] torch.float32")]
    [InlineData("official-wrong-dtype.pt", "state_dict_backbone: 'norm.weight' is [768] torch.float64, expected [768] torch.float32")]
    [InlineData("official-not-a-dict.pt", "expected a dict of four state dicts, found list")]
    [InlineData("evil-posix-system.pt", "refers to the global 'posix.system'")]
    [InlineData("legacy.pt", "legacy serialization format")]
    public void Convert_RefusesABadCheckpointAndNamesWhatIsWrong(string file, string message)
    {
        string output = Path.Combine(_dir, "out.swinface");
        var e = Assert.Throws<SwinFaceModelException>(() => CheckpointConverter.Convert(TestData.Checkpoint(file), output));
        Assert.Contains(message, e.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(output));
        var again = Assert.Throws<SwinFaceModelException>(() => FaceAnalyzer.Create(TestData.Checkpoint(file)));
        Assert.Contains(message, again.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Convert_RefusesAnotherArchitectureAndPointsToThePythonExporter()
    {
        var e = Assert.Throws<SwinFaceModelException>(() => CheckpointConverter.Convert(TestData.Checkpoint("tiny.pt"), Path.Combine(_dir, "tiny.swinface")));
        Assert.Contains("another architecture (embed 8, patch 2, depths [2, 2, 2, 2]", e.Message, StringComparison.Ordinal);
        Assert.Contains("models/export/export.py", e.Message, StringComparison.Ordinal);
        Assert.Contains("First difference: state_dict_backbone: 'patch_embed.proj.weight' is [8, 3, 2, 2] torch.float32, expected [96, 3, 2, 2] torch.float32", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Convert_LeavesAnExistingModelFileIntactWhenItFails()
    {
        string output = Path.Combine(_dir, "keep.swinface");
        File.WriteAllText(output, "old");
        Assert.Throws<SwinFaceModelException>(() => CheckpointConverter.Convert(TestData.Checkpoint("official-missing-key.pt"), output));
        Assert.Equal("old", File.ReadAllText(output));
        Assert.Single(Directory.GetFiles(_dir));
    }

    [Fact]
    public void Convert_ValidatesArguments()
    {
        Assert.Throws<ArgumentNullException>(() => CheckpointConverter.Convert(null!, "x"));
        Assert.Throws<ArgumentException>(() => CheckpointConverter.Convert(TestData.Checkpoint("official.pt"), string.Empty));
        Assert.Throws<FileNotFoundException>(() => CheckpointConverter.Convert("/nonexistent.pt", Path.Combine(_dir, "x")));
    }

    private static string Hash(ZipArchiveEntry entry)
    {
        using Stream s = entry.Open();
        return Convert.ToHexString(SHA256.HashData(s));
    }
}
