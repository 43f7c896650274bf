using System.IO.Compression;
using System.Text.Json;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using SwinFace.Analysis;
using SwinFace.Conversion;
using SwinFace.Recognition;

namespace SwinFace.Tests.Conversion;

/// <summary>Converts the full-size seeded checkpoint to int8 once, for the tests of <see cref="Int8ConversionTests"/>.</summary>
public sealed class Int8Fixture : IDisposable
{
    public Int8Fixture()
    {
        if (TestData.FullDir is not { } full)
        {
            return;
        }

        Directory = System.IO.Directory.CreateTempSubdirectory("swinface-int8-").FullName;
        Checkpoint = Path.Combine(full, "checkpoint.pt");
        Fp32Model = Path.Combine(full, "swinface-full.swinface");
        Int8Model = Path.Combine(Directory, "int8.swinface");
        Result = CheckpointConverter.Convert(Checkpoint, Int8Model, new ConversionOptions { Precision = ModelPrecision.Int8 });
        Faces = GoldenSet.Load("full", Fp32Model, Path.Combine(full, "golden")).Faces
            .Select(f => Image.Load<Rgb24>(Path.Combine(full, "golden", f.Decoded ?? f.Resized ?? f.Image))).ToArray();
    }

    public string? Directory { get; }

    public string Checkpoint { get; } = string.Empty;

    public string Fp32Model { get; } = string.Empty;

    public string Int8Model { get; } = string.Empty;

    public ConversionResult? Result { get; }

    public Image<Rgb24>[] Faces { get; } = [];

    public void Dispose()
    {
        Array.ForEach(Faces, f => f.Dispose());
        if (Directory is not null)
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
    }
}

/// <summary>
/// The int8 model of the full-size seeded checkpoint (random weights, so these bounds say nothing about the
/// trained model: its own figures are measured when it is converted). Needs <c>SWINFACE_FULL_DIR</c>, which
/// test.sh and CI set.
/// </summary>
public sealed class Int8ConversionTests(Int8Fixture fixture) : IClassFixture<Int8Fixture>
{
    // Stated bounds, measured with margin on the seeded model's golden faces (see each test).
    private const float MinCosineToFp32 = 0.999f;
    private const float MaxAgeDifference = 0.5f;
    private const float BatchTolerance = 1e-4f;

    [Fact]
    public void Int8_RecordsItsPrecisionAndFidelity()
    {
        if (fixture.Result is not { } result)
        {
            return; // Needs the full-size artifacts; test.sh and CI always make them.
        }

        Assert.Equal(ModelPrecision.Int8, result.Precision);
        QuantizationFidelity fidelity = Assert.IsType<QuantizationFidelity>(result.Fidelity);
        Assert.True(fidelity.MeetsTheBars, fidelity.ToString());
        Assert.True(fidelity.Faces >= 20, $"{fidelity.Faces} fidelity faces");
        using FaceAnalyzer int8 = FaceAnalyzer.Create(fixture.Int8Model);
        Assert.Equal(ModelPrecision.Int8, int8.Precision);
        Assert.Equal(fidelity, int8.Fidelity);
        Assert.True(result.Bytes < new FileInfo(fixture.Fp32Model).Length / 2, $"int8 model of {result.Bytes} bytes");
        using FaceAnalyzer fp32 = FaceAnalyzer.Create(fixture.Fp32Model);
        Assert.Equal(ModelPrecision.Float32, fp32.Precision);
        Assert.Null(fp32.Fidelity);
        Assert.NotEqual(fp32.ModelId, int8.ModelId);
    }

    [Fact]
    public void Int8_StaysCloseToFp32OnTheGoldenFaces()
    {
        if (fixture.Result is null)
        {
            return; // Needs the full-size artifacts, as above.
        }

        using FaceAnalyzer fp32 = FaceAnalyzer.Create(fixture.Fp32Model);
        using FaceAnalyzer int8 = FaceAnalyzer.Create(fixture.Int8Model);
        IReadOnlyList<FaceAnalysis> a = fp32.Analyze(fixture.Faces), b = int8.Analyze(fixture.Faces);
        for (int i = 0; i < a.Count; i++)
        {
            float cosine = FaceSimilarity.Cosine(a[i].Embedding!, b[i].Embedding!);
            Assert.True(cosine >= MinCosineToFp32, $"face {i}: embedding cosine to fp32 {cosine}");
            Assert.True(Math.Abs(a[i].Age!.Value - b[i].Age!.Value) <= MaxAgeDifference, $"face {i}: age {b[i].Age} against {a[i].Age}");
        }
    }

    [Fact]
    public void Int8_TaskSelectionAndBatchingGiveTheResultsOfASingleFullRun()
    {
        if (fixture.Result is null)
        {
            return; // Needs the full-size artifacts, as above.
        }

        using FaceAnalyzer int8 = FaceAnalyzer.Create(fixture.Int8Model);
        IReadOnlyList<FaceAnalysis> batch = int8.Analyze(fixture.Faces);
        for (int i = 0; i < fixture.Faces.Length; i++)
        {
            FaceAnalysis alone = int8.Analyze(fixture.Faces[i]);
            FaceAnalysis identity = int8.Analyze(fixture.Faces[i], FaceTasks.Identity);
            FaceAnalysis age = int8.Analyze(fixture.Faces[i], FaceTasks.Age);
            AssertClose(alone.Embedding!, batch[i].Embedding!, $"face {i}, batch");
            AssertClose(alone.Embedding!, identity.Embedding!, $"face {i}, identity only");
            Assert.True(Math.Abs(alone.Age!.Value - batch[i].Age!.Value) <= BatchTolerance, $"face {i}: age {batch[i].Age} in a batch, {alone.Age} alone");
            Assert.True(Math.Abs(alone.Age!.Value - age.Age!.Value) <= BatchTolerance, $"face {i}: age {age.Age} alone, {alone.Age} with every task");
            for (int k = 0; k < FaceAttributeNames.Count; k++)
            {
                Assert.True(Math.Abs(alone.Attributes![k].Probability - batch[i].Attributes![k].Probability) <= BatchTolerance, $"face {i}: attribute {k}");
            }
        }
    }

    [Fact]
    public void Int8_IsRefusedBelowTheBarsUnlessForced()
    {
        if (fixture.Directory is not { } dir)
        {
            return; // Needs the full-size artifacts, as above.
        }

        // Ranges calibrated 40 times too small: every activation clips.
        string refused = Path.Combine(dir, "broken.swinface");
        var broken = new ConversionOptions { Precision = ModelPrecision.Int8, RangeFactor = 1 / 40f };
        var e = Assert.Throws<SwinFaceModelException>(() => CheckpointConverter.Convert(fixture.Checkpoint, refused, broken));
        Assert.Contains("not faithful enough", e.Message, StringComparison.Ordinal);
        Assert.Contains("--force", e.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(refused));

        ConversionResult forced = CheckpointConverter.Convert(fixture.Checkpoint, refused, new ConversionOptions { Precision = ModelPrecision.Int8, RangeFactor = 1 / 40f, Force = true });
        Assert.False(forced.Fidelity!.MeetsTheBars);
        Assert.NotEmpty(forced.Fidelity.Shortfalls);
        using ZipArchive zip = ZipFile.OpenRead(refused);
        using Stream manifest = zip.GetEntry("manifest.json")!.Open();
        using JsonDocument doc = JsonDocument.Parse(manifest);
        JsonElement recorded = doc.RootElement.GetProperty("quantization").GetProperty("fidelity");
        Assert.True(recorded.GetProperty("forced").GetBoolean());
        Assert.False(recorded.GetProperty("meetsTheBars").GetBoolean());
    }

    private static void AssertClose(float[] expected, float[] actual, string what)
    {
        float worst = expected.Zip(actual, (x, y) => Math.Abs(x - y)).Max();
        Assert.True(worst <= BatchTolerance, $"{what}: differs by up to {worst}");
    }
}
