using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using SwinFace.Analysis;

namespace SwinFace.Tests.Inference;

/// <summary>Concurrent callers share batches, each gets its own tasks' results, and one caller's bad input fails only that caller.</summary>
public sealed class BatchSchedulerTests : IDisposable
{
    private readonly Image<Rgb24>[] _faces = Enumerable.Range(0, 4)
        .Select(i => Image.Load<Rgb24>(Path.Combine(TestData.TinyGolden, $"face_{i:00}.png"))).ToArray();

    public void Dispose() => Array.ForEach(_faces, f => f.Dispose());

    [Fact]
    public void Analyze_ConcurrentSingleFaceCallersShareBatches()
    {
        using FaceAnalyzer analyzer = FaceAnalyzer.Create(TestData.TinyModel, new FaceAnalyzerOptions { MaxBatchSize = 8 });
        FaceAnalysis[] expected = _faces.Select(f => analyzer.Analyze(f)).ToArray();
        int before = analyzer.BatchesRun;
        const int callers = 16;
        var results = new FaceAnalysis[callers];
        using var start = new Barrier(callers);
        Thread[] threads = Enumerable.Range(0, callers).Select(i => new Thread(() =>
        {
            start.SignalAndWait();
            results[i] = analyzer.Analyze(_faces[i % 4]);
        })).ToArray();
        Array.ForEach(threads, t => t.Start());
        Array.ForEach(threads, t => t.Join());

        int batches = analyzer.BatchesRun - before;
        Assert.True(batches < callers, $"{callers} concurrent callers took {batches} model runs; they should share batches");
        for (int i = 0; i < callers; i++)
        {
            AssertClose(expected[i % 4].Embedding, results[i].Embedding);
            Assert.Equal(expected[i % 4].Age!.Value, results[i].Age!.Value, 1e-4f);
        }
    }

    [Fact]
    public void Analyze_CallersInOneBatchGetTheirOwnTasks()
    {
        using FaceAnalyzer analyzer = FaceAnalyzer.Create(TestData.TinyModel);
        FaceTasks[] tasks = [FaceTasks.Identity, FaceTasks.Age, FaceTasks.Expression | FaceTasks.Gender, FaceTasks.All];
        var results = new FaceAnalysis[tasks.Length];
        Parallel.For(0, tasks.Length, i => results[i] = analyzer.Analyze(_faces[i], tasks[i]));
        for (int i = 0; i < tasks.Length; i++)
        {
            FaceAnalysis alone = analyzer.Analyze(_faces[i], tasks[i]);
            AssertClose(alone.Embedding, results[i].Embedding);
            AssertClose(alone.Age is { } a ? [a] : null, results[i].Age is { } b ? [b] : null);
            AssertClose(alone.MaleProbability is { } m ? [m] : null, results[i].MaleProbability is { } n ? [n] : null);
            AssertClose(alone.Expression?.Probabilities, results[i].Expression?.Probabilities);
            Assert.Equal(alone.Attributes is null, results[i].Attributes is null);
        }
    }

    [Fact]
    public void Analyze_OneCallersUnreadableFaceFailsOnlyThatCaller()
    {
        using FaceAnalyzer analyzer = FaceAnalyzer.Create(TestData.TinyModel, new FaceAnalyzerOptions { MaxBatchSize = 8 });
        var disposed = new Image<Rgb24>(112, 112);
        disposed.Dispose();
        const int callers = 8;
        var outcomes = new object?[callers];
        using var start = new Barrier(callers);
        Thread[] threads = Enumerable.Range(0, callers).Select(i => new Thread(() =>
        {
            start.SignalAndWait();
            try
            {
                outcomes[i] = analyzer.Analyze(i == 3 ? disposed : _faces[i % 4], FaceTasks.Identity);
            }
            catch (ObjectDisposedException e)
            {
                outcomes[i] = e;
            }
        })).ToArray();
        Array.ForEach(threads, t => t.Start());
        Array.ForEach(threads, t => t.Join());

        Assert.IsType<ObjectDisposedException>(outcomes[3]);
        for (int i = 0; i < callers; i++)
        {
            if (i != 3)
            {
                AssertClose(analyzer.Analyze(_faces[i % 4], FaceTasks.Identity).Embedding, Assert.IsType<FaceAnalysis>(outcomes[i]).Embedding);
            }
        }
    }

    /// <summary>
    /// Batches of different sizes may round the last bits differently (the GEMM kernels block the work by
    /// batch size), so shared batches are compared within 1e-5, not bit for bit.
    /// </summary>
    private static void AssertClose(float[]? expected, float[]? actual)
    {
        Assert.Equal(expected is null, actual is null);
        if (expected is null)
        {
            return;
        }

        Assert.Equal(expected.Length, actual!.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.True(MathF.Abs(expected[i] - actual[i]) <= 1e-5f, $"[{i}] {expected[i]} vs {actual[i]}");
        }
    }
}
