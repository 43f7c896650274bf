using System.Numerics.Tensors;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using SwinFace.Analysis;
using SwinFace.Imaging;
using SwinFace.Inference;

namespace SwinFace.Tests.Inference;

/// <summary>Loads every golden set's model once for the class.</summary>
public sealed class GoldenFixture : IDisposable
{
    public GoldenFixture()
    {
        Sets = TestData.GoldenSets();
        Analyzers = Sets.Select(s => FaceAnalyzer.Create(s.ModelPath)).ToArray();
    }

    internal IReadOnlyList<GoldenSet> Sets { get; }

    internal FaceAnalyzer[] Analyzers { get; }

    public void Dispose()
    {
        foreach (FaceAnalyzer a in Analyzers)
        {
            a.Dispose();
        }
    }
}

/// <summary>
/// C# against the PyTorch reference. Tolerances: every logit (and the raw embedding) within 1e-4
/// absolute; the normalised embedding's cosine to PyTorch's at least 0.99999.
/// </summary>
public sealed class GoldenTests(GoldenFixture fixture) : IClassFixture<GoldenFixture>
{
    private const float LogitTolerance = 1e-4f;
    private const float MinCosine = 0.99999f;

    [Fact]
    public void RawOutputs_MatchPyTorchWithin1e4()
    {
        foreach ((GoldenSet set, int _) in Sets())
        {
            using ModelRunner runner = ModelRunner.Open(set.ModelPath, new Microsoft.ML.OnnxRuntime.SessionOptions());
            float[][] tables = FacePixels.NormalizationTables(runner.Manifest.Mean, runner.Manifest.Std);
            foreach (GoldenFace face in set.Faces)
            {
                using Image<Rgb24> image = ImageFile.Load(set.PathOf(face.Image));
                byte[] rgb = new byte[FacePixels.Bytes];
                FacePixels.Copy(image, rgb);
                float[] input = new float[3 * 112 * 112];
                FacePixels.ToPlanar(rgb, tables, input);
                using RawOutputs raw = runner.Run(input, 1, FaceTasks.All);

                AssertClose(face.Embedding, raw.Embedding(0), $"{set.Name}/{face.Image} embedding");
                foreach (HeadSpec head in ModelHeads.All)
                {
                    AssertClose(face.Logits[head.Output], raw.Logits(head, 0), $"{set.Name}/{face.Image} {head.Name}");
                }
            }
        }
    }

    [Fact]
    public void RawOutputs_OfAnOddBatchMatchPyTorchWithin1e4()
    {
        // An odd count, so the backbone's last chunk is short of ModelRunner.DefaultBackboneChunk.
        foreach ((GoldenSet set, int _) in Sets())
        {
            using ModelRunner runner = ModelRunner.Open(set.ModelPath, new Microsoft.ML.OnnxRuntime.SessionOptions());
            float[][] tables = FacePixels.NormalizationTables(runner.Manifest.Mean, runner.Manifest.Std);
            GoldenFace[] faces = set.Faces.Take(set.Faces.Count - (1 - set.Faces.Count % 2)).ToArray();
            Assert.True(faces.Length % ModelRunner.DefaultBackboneChunk != 0, $"{set.Name}: {faces.Length} faces make whole chunks");
            const int pixels = 3 * 112 * 112;
            float[] input = new float[faces.Length * pixels];
            byte[] rgb = new byte[FacePixels.Bytes];
            for (int i = 0; i < faces.Length; i++)
            {
                using Image<Rgb24> image = ImageFile.Load(set.PathOf(faces[i].Image));
                FacePixels.Copy(image, rgb);
                FacePixels.ToPlanar(rgb, tables, input.AsSpan(i * pixels, pixels));
            }

            using RawOutputs raw = runner.Run(input, faces.Length, FaceTasks.All);
            for (int i = 0; i < faces.Length; i++)
            {
                AssertClose(faces[i].Embedding, raw.Embedding(i), $"{set.Name}/{faces[i].Image} embedding (face {i} of a batch)");
                foreach (HeadSpec head in ModelHeads.All)
                {
                    AssertClose(faces[i].Logits[head.Output], raw.Logits(head, i), $"{set.Name}/{faces[i].Image} {head.Name} (face {i} of a batch)");
                }
            }
        }
    }

    [Fact]
    public void Analyze_MatchesPyTorchThroughThePublicApi()
    {
        foreach ((GoldenSet set, int index) in Sets())
        {
            FaceAnalyzer analyzer = fixture.Analyzers[index];
            foreach (GoldenFace face in set.Faces)
            {
                using Image<Rgb24> image = ImageFile.Load(set.PathOf(face.Image));
                FaceAnalysis a = analyzer.Analyze(image);
                string where = $"{set.Name}/{face.Image}";

                Assert.Equal(512, a.Embedding!.Length);
                Assert.Equal(1f, TensorPrimitives.Norm(a.Embedding), 1e-5f);
                float cosine = TensorPrimitives.CosineSimilarity(face.Embedding, a.Embedding);
                Assert.True(cosine >= MinCosine, $"{where}: embedding cosine {cosine} < {MinCosine}");
                Assert.Equal(TensorPrimitives.Norm(face.Embedding), a.EmbeddingNorm!.Value, 1e-3f);

                Assert.Equal(face.Logits["age"][0], a.Age!.Value, LogitTolerance);
                AssertClose(Softmax(face.Logits["expression"]), a.Expression!.Probabilities, where + " expression");
                Assert.Equal((Expression)TensorPrimitives.IndexOfMax(face.Logits["expression"]), a.Expression.Label);
                Assert.Equal(Softmax(face.Logits["gender"])[1], a.MaleProbability!.Value, LogitTolerance);
                Assert.Equal(a.MaleProbability.Value, a.Attributes![FaceAttribute.Male]);
                Assert.Equal(Softmax(face.Logits["young"])[1], a.Attributes[FaceAttribute.Young], LogitTolerance);
                Assert.Equal(Softmax(face.Logits["smiling"])[1], a.Attributes[FaceAttribute.Smiling], LogitTolerance);
                Assert.Equal(Softmax(face.Logits["five_oclock_shadow"])[1], a.Attributes[FaceAttribute.FiveOClockShadow], LogitTolerance);
                Assert.Equal(Softmax(face.Logits["wearing_necktie"])[1], a.Attributes[FaceAttribute.WearingNecktie], LogitTolerance);
            }
        }
    }

    [Fact]
    public void Analyze_BatchEqualsSingleFaces()
    {
        foreach ((GoldenSet set, int index) in Sets())
        {
            FaceAnalyzer analyzer = fixture.Analyzers[index];
            Image<Rgb24>[] images = set.Faces.Select(f => ImageFile.Load(set.PathOf(f.Image))).ToArray();
            try
            {
                IReadOnlyList<FaceAnalysis> batch = analyzer.Analyze(images);
                Assert.Equal(images.Length, batch.Count);
                for (int i = 0; i < images.Length; i++)
                {
                    FaceAnalysis single = analyzer.Analyze(images[i]);
                    AssertSame(single, batch[i], LogitTolerance, $"{set.Name} face {i}");
                }
            }
            finally
            {
                foreach (Image<Rgb24> im in images)
                {
                    im.Dispose();
                }
            }
        }
    }

    [Fact]
    public void Analyze_WithTheCallersSessionOptionsGivesTheSameResults()
    {
        // The caller's options send each batch through the backbone in one run, not in runs of a few faces.
        foreach ((GoldenSet set, int index) in Sets())
        {
            using var sessionOptions = new Microsoft.ML.OnnxRuntime.SessionOptions { IntraOpNumThreads = 1 };
            using FaceAnalyzer own = FaceAnalyzer.Create(set.ModelPath, new FaceAnalyzerOptions { SessionOptions = sessionOptions });
            Image<Rgb24>[] images = set.Faces.Select(f => ImageFile.Load(set.PathOf(f.Image))).ToArray();
            try
            {
                IReadOnlyList<FaceAnalysis> expected = fixture.Analyzers[index].Analyze(images);
                IReadOnlyList<FaceAnalysis> actual = own.Analyze(images);
                for (int i = 0; i < images.Length; i++)
                {
                    AssertSame(expected[i], actual[i], LogitTolerance, $"{set.Name} face {i}");
                }
            }
            finally
            {
                foreach (Image<Rgb24> im in images)
                {
                    im.Dispose();
                }
            }
        }
    }

    [Theory]
    [InlineData(FaceTasks.Identity)]
    [InlineData(FaceTasks.Expression)]
    [InlineData(FaceTasks.Age)]
    [InlineData(FaceTasks.Gender)]
    [InlineData(FaceTasks.Attributes)]
    [InlineData(FaceTasks.Age | FaceTasks.Gender)]
    public void Analyze_TaskSelectionGivesTheFullRunsValues(FaceTasks tasks)
    {
        GoldenSet set = fixture.Sets[0];
        using Image<Rgb24> image = ImageFile.Load(set.PathOf(set.Faces[0].Image));
        FaceAnalyzer analyzer = fixture.Analyzers[0];
        FaceAnalysis full = analyzer.Analyze(image);
        FaceAnalysis part = analyzer.Analyze(image, tasks);

        Assert.Equal(tasks.HasFlag(FaceTasks.Identity), part.Embedding is not null);
        Assert.Equal(tasks.HasFlag(FaceTasks.Expression), part.Expression is not null);
        Assert.Equal(tasks.HasFlag(FaceTasks.Age), part.Age is not null);
        Assert.Equal(tasks.HasFlag(FaceTasks.Gender), part.MaleProbability is not null);
        Assert.Equal(tasks.HasFlag(FaceTasks.Attributes), part.Attributes is not null);
        AssertSame(full, part, 0f, tasks.ToString());
    }

    [Fact]
    public void Analyze_RawBufferEqualsImage()
    {
        GoldenSet set = fixture.Sets[0];
        FaceAnalyzer analyzer = fixture.Analyzers[0];
        foreach (GoldenFace face in set.Faces)
        {
            using Image<Rgb24> image = ImageFile.Load(set.PathOf(face.Image));
            byte[] rgb = new byte[image.Width * image.Height * 3];
            image.CopyPixelDataTo(rgb);
            AssertSame(analyzer.Analyze(image), analyzer.Analyze(rgb, image.Width, image.Height), 0f, face.Image);
        }

        byte[] all = new byte[2 * FacePixels.Bytes];
        using (Image<Rgb24> a = ImageFile.Load(set.PathOf(set.Faces[0].Image)))
        using (Image<Rgb24> b = ImageFile.Load(set.PathOf(set.Faces[1].Image)))
        {
            a.CopyPixelDataTo(all.AsSpan(0, FacePixels.Bytes));
            b.CopyPixelDataTo(all.AsSpan(FacePixels.Bytes));
            IReadOnlyList<FaceAnalysis> batch = analyzer.AnalyzeBatch(all, 2);
            AssertSame(analyzer.Analyze([a, b])[1], batch[1], 0f, "raw batch");
        }
    }

    [Fact]
    public void Analyze_DoesNotModifyTheCallersImage()
    {
        GoldenSet set = fixture.Sets[0];
        GoldenFace face = set.Faces.First(f => f.Resized is not null);
        using Image<Rgb24> image = ImageFile.Load(set.PathOf(face.Image));
        byte[] before = new byte[image.Width * image.Height * 3];
        image.CopyPixelDataTo(before);
        fixture.Analyzers[0].Analyze(image);
        byte[] after = new byte[before.Length];
        image.CopyPixelDataTo(after);
        Assert.Equal(before, after);
        Assert.Equal((face.Width, face.Height), (image.Width, image.Height));
    }

    [Fact]
    public void Analyze_ConcurrentCallersGetTheSequentialResults()
    {
        GoldenSet set = fixture.Sets[0];
        FaceAnalyzer analyzer = fixture.Analyzers[0];
        Image<Rgb24>[] images = set.Faces.Select(f => ImageFile.Load(set.PathOf(f.Image))).ToArray();
        try
        {
            FaceAnalysis[] expected = images.Select(im => analyzer.Analyze(im)).ToArray();
            var actual = new FaceAnalysis[images.Length * 4];
            Parallel.For(0, actual.Length, new ParallelOptions { MaxDegreeOfParallelism = 4 }, i => actual[i] = analyzer.Analyze(images[i % images.Length]));
            for (int i = 0; i < actual.Length; i++)
            {
                // Concurrent calls share batches, whose size may change the last bits.
                AssertSame(expected[i % images.Length], actual[i], 1e-5f, $"call {i}");
            }
        }
        finally
        {
            foreach (Image<Rgb24> im in images)
            {
                im.Dispose();
            }
        }
    }

    private static float[] Softmax(float[] logits)
    {
        float[] p = new float[logits.Length];
        TensorPrimitives.SoftMax(logits, p);
        return p;
    }

    private static void AssertClose(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            float diff = MathF.Abs(expected[i] - actual[i]);
            Assert.True(diff <= LogitTolerance, $"{what}[{i}]: PyTorch {expected[i]}, C# {actual[i]}, |diff| {diff} > {LogitTolerance}");
        }
    }

    /// <summary>Compares the outputs present in both analyses within <paramref name="tolerance"/>.</summary>
    private static void AssertSame(FaceAnalysis expected, FaceAnalysis actual, float tolerance, string what)
    {
        void Close(float e, float a, string name) =>
            Assert.True(MathF.Abs(e - a) <= tolerance, $"{what} {name}: {e} vs {a}");

        if (actual.Embedding is not null)
        {
            for (int i = 0; i < 512; i++)
            {
                Close(expected.Embedding![i], actual.Embedding[i], $"embedding[{i}]");
            }
        }

        if (actual.Expression is not null)
        {
            Assert.Equal(expected.Expression!.Label, actual.Expression.Label);
            for (int i = 0; i < 7; i++)
            {
                Close(expected.Expression.Probabilities[i], actual.Expression.Probabilities[i], $"expression[{i}]");
            }
        }

        if (actual.Age is not null)
        {
            Close(expected.Age!.Value, actual.Age.Value, "age");
        }

        if (actual.MaleProbability is not null)
        {
            Close(expected.MaleProbability!.Value, actual.MaleProbability.Value, "male");
        }

        if (actual.Attributes is not null)
        {
            for (int i = 0; i < 40; i++)
            {
                Close(expected.Attributes![i].Probability, actual.Attributes[i].Probability, ((FaceAttribute)i).CelebAName());
            }
        }
    }

    private IEnumerable<(GoldenSet Set, int Index)> Sets() => fixture.Sets.Select((s, i) => (s, i));
}
