using System.IO.Compression;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.ML.OnnxRuntime;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using SwinFace.Analysis;

namespace SwinFace.Tests;

/// <summary>Loading, validation and argument checks of the public entry point.</summary>
public sealed class FaceAnalyzerTests
{
    private static readonly byte[] TinyModel = File.ReadAllBytes(TestData.TinyModel);

    [Fact]
    public void Create_ThrowsFileNotFoundForAMissingModel()
    {
        var e = Assert.Throws<FileNotFoundException>(() => FaceAnalyzer.Create("/nonexistent/model.swinface"));
        Assert.Contains("/nonexistent/model.swinface", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Create_ThrowsForNullOrEmptyArguments()
    {
        Assert.Throws<ArgumentNullException>(() => FaceAnalyzer.Create((string)null!));
        Assert.Throws<ArgumentException>(() => FaceAnalyzer.Create(string.Empty));
        Assert.Throws<ArgumentNullException>(() => FaceAnalyzer.Create((Stream)null!));
        Assert.Throws<ArgumentNullException>(() => FaceAnalyzer.Create((byte[])null!));
    }

    [Fact]
    public void Create_RejectsDataThatIsNotAnArchive()
    {
        AssertModelError(Encoding.UTF8.GetBytes("this is not a model"), "not a ZIP archive");
    }

    [Fact]
    public void Create_RejectsABareOnnxGraph()
    {
        AssertModelError(Entry(TinyModel, "backbone.onnx"), "not a ZIP archive");
    }

    [Fact]
    public void Create_RejectsAnArchiveWithoutManifest()
    {
        AssertModelError(Rewrite((name, data) => name == "manifest.json" ? null : data), "expected a SwinFace model file (a ZIP archive with 'manifest.json') or a PyTorch checkpoint");
    }

    [Fact]
    public void Create_RejectsAManifestThatIsNotJson()
    {
        AssertModelError(Rewrite((name, data) => name == "manifest.json" ? Encoding.UTF8.GetBytes("{ nope") : data), "not valid JSON");
    }

    [Fact]
    public void Create_RejectsAManifestThatIsNotUtf8()
    {
        // Found by the model fuzz target: bytes that are not UTF-8 inside a JSON string threw InvalidOperationException.
        AssertModelError(ReplaceInManifest("\"SwinFace\""u8.ToArray(), [(byte)'"', 0x53, 0xFF, 0xFE, (byte)'"']), "'manifest.json' is not valid UTF-8 (at byte");
    }

    [Fact]
    public void Create_RejectsAManifestStringThatIsNoUnicodeText()
    {
        // Valid JSON and valid UTF-8, but "\ud800" (a lone surrogate) is no string: GetString threw InvalidOperationException.
        AssertModelError(ReplaceInManifest("\"SwinFace\""u8.ToArray(), "\"\\ud800\""u8.ToArray()), "manifest field 'name': expected a string of Unicode text, found \"\\ud800\"");
    }

    [Theory]
    [InlineData("formatVersion", "3", "'formatVersion': expected 2, found 3")]
    [InlineData("formatVersion", "1", "a model file of format 1, written before model files recorded their graphs' SHA-256")]
    [InlineData("precision", "\"fp64\"", "'precision': expected \"fp32\" or \"int8\", found \"fp64\"")]
    [InlineData("precision", "\"int8\"", "'quantization': expected an object, found nothing")]
    [InlineData("format", "\"onnx\"", "'format': expected \"swinface-model\", found \"onnx\"")]
    public void Create_RejectsAnotherFormat(string field, string value, string message)
    {
        AssertModelError(EditManifest(m => m[field] = JsonNode.Parse(value)), message);
    }

    [Fact]
    public void Create_RejectsAnotherInputSize()
    {
        AssertModelError(EditManifest(m => m["input"]!["width"] = 224), "'input.width x height': expected 112 x 112, found 224 x 112");
    }

    [Fact]
    public void Create_RejectsAnotherEmbeddingSize()
    {
        AssertModelError(EditManifest(m => m["backbone"]!["embedding"]!["size"] = 128), "'backbone.embedding.size': expected 512, found 128");
    }

    [Fact]
    public void Create_RejectsUnknownHeads()
    {
        AssertModelError(
            EditManifest(m => m["branches"]![0]!["heads"]![0]!["output"] = "sex"),
            "'branches[0].heads': expected gender[2], found sex[2]");
    }

    [Fact]
    public void Create_RejectsMissingBranches()
    {
        AssertModelError(EditManifest(m => m["branches"]!.AsArray().RemoveAt(10)), "'branches': expected 11 branches, found 10");
    }

    [Fact]
    public void Create_RejectsAMissingGraphEntry()
    {
        AssertModelError(Rewrite((name, data) => name == "branch03.onnx" ? null : data), "names graph 'branch03.onnx', but the archive has no such entry");
    }

    [Theory]
    [InlineData("truncated")]
    [InlineData("bit-flipped")]
    public void Create_RejectsADamagedGraphBeforeOnnxRuntimeSeesIt(string damage)
    {
        AssertModelError(
            Rewrite((name, data) => name == "branch05.onnx" ? Damage(data, damage) : data),
            "graph 'branch05.onnx' is damaged: its bytes have SHA-256");
    }

    [Fact]
    public void Create_RejectsAGraphThatIsNotOnnxEvenWithAMatchingDigest()
    {
        // A writer that hashed its own broken output: the digest matches, and ONNX Runtime's parser refuses it.
        byte[] broken = Damage(Entry(TinyModel, "branch05.onnx"), "truncated");
        byte[] model = Rewrite((name, data) => name == "branch05.onnx" ? broken : data);
        model = EditManifest(model, m => m["branches"]![5]!["sha256"] = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(broken)));
        AssertModelError(model, "graph 'branch05.onnx' is not a valid ONNX model");
    }

    [Fact]
    public void Create_RejectsAManifestWithoutGraphDigests()
    {
        AssertModelError(EditManifest(m => m["branches"]![2]!.AsObject().Remove("sha256")), "'branches[2].sha256': expected the graph's SHA-256 as 64 lower-case hex digits, found nothing");
    }

    [Fact]
    public void Create_RejectsAGraphWithTheWrongInterface()
    {
        AssertModelError(
            EditManifest(m =>
            {
                m["backbone"]!["graph"] = "branch00.onnx";
                m["backbone"]!["sha256"] = m["branches"]![0]!["sha256"]!.DeepClone();
            }),
            "graph 'branch00.onnx': expected input 'image', found inputs [features]");
    }

    [Fact]
    public void Create_RejectsAGraphWithTheWrongOutputShape()
    {
        // Branch 1's graph in place of branch 0's: 'gender' is missing there.
        AssertModelError(
            EditManifest(m =>
            {
                m["branches"]![0]!["graph"] = "branch01.onnx";
                m["branches"]![0]!["sha256"] = m["branches"]![1]!["sha256"]!.DeepClone();
            }),
            "graph 'branch01.onnx': expected output 'gender', found outputs [age, young]");
    }

    [Fact]
    public void Create_RejectsFeaturesOfAnotherShape()
    {
        AssertModelError(
            EditManifest(m => m["backbone"]!["features"]!["shape"] = new JsonArray(2112, 7, 7)),
            "output 'features': expected Float [batch, 2112, 7, 7], found Float [batch, 176, 7, 7]");
    }

    [Fact]
    public void Create_LoadsFromPathStreamAndBytesAlike()
    {
        using Image<Rgb24> face = Image.Load<Rgb24>(Path.Combine(TestData.TinyGolden, "face_00.png"));
        using FaceAnalyzer fromPath = FaceAnalyzer.Create(TestData.TinyModel);
        using var stream = new MemoryStream(TinyModel);
        using FaceAnalyzer fromStream = FaceAnalyzer.Create(stream);
        using FaceAnalyzer fromBytes = FaceAnalyzer.Create(TinyModel);

        float[] expected = fromPath.Analyze(face).Embedding!;
        Assert.Equal(expected, fromStream.Analyze(face).Embedding);
        Assert.Equal(expected, fromBytes.Analyze(face).Embedding);
        Assert.Equal("SwinFace", fromBytes.ModelName);
        Assert.StartsWith("random-init seed", fromBytes.ModelSource, StringComparison.Ordinal);
    }

    [Fact]
    public void Create_ValidatesOptions()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => FaceAnalyzer.Create(TinyModel, new FaceAnalyzerOptions { IntraOpThreads = -1 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => FaceAnalyzer.Create(TinyModel, new FaceAnalyzerOptions { MaxBatchSize = 0 }));
    }

    [Fact]
    public void Create_LeavesTheCallersSessionOptionsUsable()
    {
        using var options = new SessionOptions { IntraOpNumThreads = 1 };
        FaceAnalyzer.Create(TinyModel, new FaceAnalyzerOptions { SessionOptions = options }).Dispose();
        using FaceAnalyzer again = FaceAnalyzer.Create(TinyModel, new FaceAnalyzerOptions { SessionOptions = options });
        Assert.Equal(1, options.IntraOpNumThreads);
    }

    [Fact]
    public void Analyze_ValidatesArguments()
    {
        using FaceAnalyzer analyzer = FaceAnalyzer.Create(TinyModel);
        using var face = new Image<Rgb24>(112, 112);
        Assert.Throws<ArgumentNullException>(() => analyzer.Analyze((Image<Rgb24>)null!));
        Assert.Throws<ArgumentNullException>(() => analyzer.Analyze((IReadOnlyList<Image<Rgb24>>)[face, null!]));
        Assert.Throws<ArgumentException>(() => analyzer.Analyze(face, FaceTasks.None));
        Assert.Throws<ArgumentException>(() => analyzer.Analyze(face, (FaceTasks)64));
        var e = Assert.Throws<ArgumentException>(() => analyzer.Analyze(new byte[100], 112, 112));
        Assert.Contains("37632", e.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentOutOfRangeException>(() => analyzer.Analyze(new byte[3], 0, 1));
        Assert.Throws<ArgumentException>(() => analyzer.AnalyzeBatch(new byte[37632], 2));
        Assert.Throws<ArgumentOutOfRangeException>(() => analyzer.AnalyzeBatch([], -1));
        Assert.Empty(analyzer.AnalyzeBatch([], 0));
        Assert.Empty(analyzer.Analyze(Array.Empty<Image<Rgb24>>()));
    }

    [Fact]
    public void Analyze_SplitsBatchesLargerThanMaxBatchSize()
    {
        using FaceAnalyzer small = FaceAnalyzer.Create(TinyModel, new FaceAnalyzerOptions { MaxBatchSize = 2 });
        using FaceAnalyzer large = FaceAnalyzer.Create(TinyModel);
        Image<Rgb24>[] faces = Enumerable.Range(0, 4).Select(i => Image.Load<Rgb24>(Path.Combine(TestData.TinyGolden, $"face_{i:00}.png"))).ToArray();
        try
        {
            IReadOnlyList<FaceAnalysis> a = small.Analyze(faces, FaceTasks.Identity);
            IReadOnlyList<FaceAnalysis> b = large.Analyze(faces, FaceTasks.Identity);
            Assert.Equal(4, a.Count);
            for (int i = 0; i < 4; i++)
            {
                float cos = System.Numerics.Tensors.TensorPrimitives.Dot(a[i].Embedding!, b[i].Embedding!);
                Assert.True(cos > 0.99999f, $"face {i}: cosine {cos}");
            }
        }
        finally
        {
            foreach (Image<Rgb24> f in faces)
            {
                f.Dispose();
            }
        }
    }

    [Fact]
    public void Analyze_ThrowsAfterDispose()
    {
        FaceAnalyzer analyzer = FaceAnalyzer.Create(TinyModel);
        analyzer.Dispose();
        analyzer.Dispose();
        using var face = new Image<Rgb24>(112, 112);
        Assert.Throws<ObjectDisposedException>(() => analyzer.Analyze(face));
    }

    private static void AssertModelError(byte[] model, string message)
    {
        var e = Assert.Throws<SwinFaceModelException>(() => FaceAnalyzer.Create(model));
        Assert.Contains(message, e.Message, StringComparison.Ordinal);
    }

    private static byte[] Entry(byte[] archive, string name)
    {
        using var zip = new ZipArchive(new MemoryStream(archive), ZipArchiveMode.Read);
        using Stream s = zip.GetEntry(name)!.Open();
        using var ms = new MemoryStream();
        s.CopyTo(ms);
        return ms.ToArray();
    }

    /// <summary>A copy of the tiny model with each entry passed through <paramref name="edit"/> (null drops it).</summary>
    private static byte[] Rewrite(Func<string, byte[], byte[]?> edit) => Rewrite(TinyModel, edit);

    private static byte[] Rewrite(byte[] model, Func<string, byte[], byte[]?> edit)
    {
        using var input = new ZipArchive(new MemoryStream(model), ZipArchiveMode.Read);
        var output = new MemoryStream();
        using (var zip = new ZipArchive(output, ZipArchiveMode.Create, leaveOpen: true))
        {
            foreach (ZipArchiveEntry entry in input.Entries)
            {
                byte[]? data = edit(entry.FullName, Entry(model, entry.FullName));
                if (data is not null)
                {
                    using Stream s = zip.CreateEntry(entry.FullName, CompressionLevel.NoCompression).Open();
                    s.Write(data);
                }
            }
        }

        return output.ToArray();
    }

    private static byte[] Damage(byte[] data, string damage)
    {
        if (damage == "truncated")
        {
            return data[..(data.Length / 2)];
        }

        byte[] copy = (byte[])data.Clone();
        copy[copy.Length / 3] ^= 0x10;
        return copy;
    }

    private static byte[] ReplaceInManifest(byte[] find, byte[] replacement) => Rewrite((name, data) =>
    {
        if (name != "manifest.json")
        {
            return data;
        }

        int at = data.AsSpan().IndexOf(find);
        Assert.True(at >= 0);
        return [.. data[..at], .. replacement, .. data[(at + find.Length)..]];
    });

    private static byte[] EditManifest(Action<JsonNode> edit) => EditManifest(TinyModel, edit);

    private static byte[] EditManifest(byte[] model, Action<JsonNode> edit) => Rewrite(model, (name, data) =>
    {
        if (name != "manifest.json")
        {
            return data;
        }

        JsonNode manifest = JsonNode.Parse(data)!;
        edit(manifest);
        return Encoding.UTF8.GetBytes(manifest.ToJsonString());
    });
}
