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

    [Fact]
    public async Task AnalyzeAsync_CancelledWhileQueued_LeavesTheQueueAndOthersGoOn()
    {
        using FaceAnalyzer analyzer = FaceAnalyzer.Create(TestData.TinyModel, new FaceAnalyzerOptions { MaxBatchSize = 1 });
        FaceAnalysis expected = analyzer.Analyze(_faces[1], FaceTasks.Identity);
        using var held = HeldModel.Hold(analyzer, Pixels(_faces[0]));

        using var cancel = new CancellationTokenSource();
        Task<IReadOnlyList<FaceAnalysis>> cancelled = analyzer.AnalyzeAsync([_faces[2], _faces[3]], FaceTasks.Identity, cancel.Token);
        Task<IReadOnlyList<FaceAnalysis>> kept = analyzer.AnalyzeAsync([_faces[1]], FaceTasks.Identity);
        await WaitUntil(() => analyzer.Scheduler.QueuedFaces == 3);
        Assert.False(cancelled.IsCompleted);

        cancel.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled).WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(1, analyzer.Scheduler.QueuedFaces);

        await held.ReleaseAsync();
        AssertClose(expected.Embedding, (await kept.WaitAsync(TimeSpan.FromSeconds(60)))[0].Embedding);
        Assert.Equal(0, analyzer.Scheduler.QueuedFaces);

        // The lead was handed on: a new call runs.
        AssertClose(expected.Embedding, analyzer.Analyze(_faces[1], FaceTasks.Identity).Embedding);
    }

    [Fact]
    public async Task AnalyzeAsync_ThrowsBusyWhenTheQueueIsFull_AndRunsAgainOnceItDrains()
    {
        using FaceAnalyzer analyzer = FaceAnalyzer.Create(TestData.TinyModel, new FaceAnalyzerOptions { MaxBatchSize = 1, MaxQueuedFaces = 2 });
        using var held = HeldModel.Hold(analyzer, Pixels(_faces[0]));

        Task<IReadOnlyList<FaceAnalysis>> queued = analyzer.AnalyzeAsync([_faces[1], _faces[2]], FaceTasks.Identity);
        await WaitUntil(() => analyzer.Scheduler.QueuedFaces == 2);
        SwinFaceBusyException busy = await Assert.ThrowsAsync<SwinFaceBusyException>(() => analyzer.AnalyzeAsync([_faces[3]], FaceTasks.Identity));
        Assert.Contains("MaxQueuedFaces", busy.Message, StringComparison.Ordinal);
        Assert.True(busy.RetryAfter >= TimeSpan.FromSeconds(1));

        await held.ReleaseAsync();
        Assert.Equal(2, (await queued.WaitAsync(TimeSpan.FromSeconds(60))).Count);
        Assert.Single(await analyzer.AnalyzeAsync([_faces[3]], FaceTasks.Identity));
    }

    [Fact]
    public async Task AnalyzePhotoAsync_RefusesAPhotoBeforeDecodingItWhenTheQueueIsFull()
    {
        using FaceAnalyzer analyzer = FaceAnalyzer.Create(TestData.TinyModel, new FaceAnalyzerOptions { MaxBatchSize = 1, MaxQueuedFaces = 2 });
        using var held = HeldModel.Hold(analyzer, Pixels(_faces[0]));
        Task<IReadOnlyList<FaceAnalysis>> queued = analyzer.AnalyzeAsync([_faces[1], _faces[2]], FaceTasks.Identity);
        await WaitUntil(() => analyzer.Scheduler.QueuedFaces == 2);

        // Not an image at all: were it decoded, it would fail as unreadable. It is refused first, unread.
        SwinFaceBusyException busy = await Assert.ThrowsAsync<SwinFaceBusyException>(() => analyzer.AnalyzePhotoAsync(new MemoryStream("not an image"u8.ToArray())));
        Assert.Contains("a photo", busy.Message, StringComparison.Ordinal);

        await held.ReleaseAsync();
        await queued.WaitAsync(TimeSpan.FromSeconds(60));
        await Assert.ThrowsAsync<SwinFaceImageException>(() => analyzer.AnalyzePhotoAsync(new MemoryStream("not an image"u8.ToArray())));
    }

    [Fact]
    public async Task AnalyzePhoto_RefusedWhileTheQueueIsFull_IsAdmittedOnceItDrains()
    {
        // The synchronous path: a refusal must not leave its photo counted as waiting, or every later photo is refused.
        using FaceAnalyzer analyzer = FaceAnalyzer.Create(TestData.TinyModel, new FaceAnalyzerOptions { MaxBatchSize = 1, MaxQueuedFaces = 2 });
        byte[] photo = File.ReadAllBytes(TestData.SharedPhoto("one-face-turned.jpg"));
        using (var held = HeldModel.Hold(analyzer, Pixels(_faces[0])))
        {
            Task<IReadOnlyList<FaceAnalysis>> queued = analyzer.AnalyzeAsync([_faces[1], _faces[2]], FaceTasks.Identity);
            await WaitUntil(() => analyzer.Scheduler.QueuedFaces == 2);
            for (int i = 0; i < 3; i++)
            {
                Assert.Throws<SwinFaceBusyException>(() => analyzer.AnalyzePhoto(photo, FaceTasks.Identity));
            }

            await held.ReleaseAsync();
            await queued.WaitAsync(TimeSpan.FromSeconds(60));
        }

        Assert.Single(analyzer.AnalyzePhoto(photo, FaceTasks.Identity).Faces);
    }

    [Fact]
    public void Analyze_ACallAloneIsNeverRefused_HoweverManyFaces()
    {
        using FaceAnalyzer analyzer = FaceAnalyzer.Create(TestData.TinyModel, new FaceAnalyzerOptions { MaxBatchSize = 2, MaxQueuedFaces = 1 });
        Assert.Equal(4, analyzer.Analyze(_faces, FaceTasks.Identity).Count);
    }

    [Fact]
    public async Task AnalyzeAsync_ManyCallersCancelledAtRandom_TheRestGetTheirResults()
    {
        // Cancellations land at every stage: queued, in a batch, after being handed the lead. Nothing may hang,
        // and every call that was not cancelled gets its own face's results.
        using FaceAnalyzer analyzer = FaceAnalyzer.Create(TestData.TinyModel, new FaceAnalyzerOptions { MaxBatchSize = 4 });
        FaceAnalysis[] expected = [.. _faces.Select(f => analyzer.Analyze(f, FaceTasks.Identity))];
        var random = new Random(7);
        var calls = new List<(int Face, CancellationTokenSource Cancel, Task<IReadOnlyList<FaceAnalysis>> Task)>();
        int neverCancelled = 0;
        for (int i = 0; i < 200; i++)
        {
            int face = i % 4;
            var cancel = new CancellationTokenSource();
            if (random.Next(3) == 0)
            {
                cancel.CancelAfter(TimeSpan.FromMilliseconds(random.Next(0, 40)));
            }
            else
            {
                neverCancelled++;
            }

            calls.Add((face, cancel, Task.Run(() => analyzer.AnalyzeAsync([_faces[face]], FaceTasks.Identity, cancel.Token))));
        }

        int completed = 0, cancelledCalls = 0;
        foreach ((int face, CancellationTokenSource cancel, Task<IReadOnlyList<FaceAnalysis>> task) in calls)
        {
            try
            {
                AssertClose(expected[face].Embedding, (await task.WaitAsync(TimeSpan.FromSeconds(120)))[0].Embedding);
                completed++;
            }
            catch (OperationCanceledException) when (cancel.IsCancellationRequested)
            {
                cancelledCalls++;
            }

            cancel.Dispose();
        }

        Assert.Equal(200, completed + cancelledCalls);
        Assert.True(completed >= neverCancelled, $"only {completed} of 200 calls completed; {neverCancelled} were never cancelled");
        Assert.True(cancelledCalls > 0, "no call was cancelled in time; the test did not test cancellation");
        Assert.Equal(0, analyzer.Scheduler.QueuedFaces);
        AssertClose(expected[0].Embedding, analyzer.Analyze(_faces[0], FaceTasks.Identity).Embedding);
    }

    [Fact]
    public void Analyze_ReportsFacesAndBatchesOnTheSwinFaceMeter()
    {
        using FaceAnalyzer analyzer = FaceAnalyzer.Create(TestData.TinyModel, new FaceAnalyzerOptions { MaxBatchSize = 4 });
        long faces = 0, batches = 0, batchFaces = 0;
        using var listener = new System.Diagnostics.Metrics.MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == FaceAnalyzer.MeterName)
            {
                l.EnableMeasurementEvents(instrument);
            }
        };

        // Other tests run analyzers at the same time: count only what this analyzer's thread records.
        int thread = Environment.CurrentManagedThreadId;
        listener.SetMeasurementEventCallback<long>((instrument, value, _, _) =>
        {
            if (instrument.Name == "swinface.faces" && Environment.CurrentManagedThreadId == thread)
            {
                faces += value;
            }
        });
        listener.SetMeasurementEventCallback<int>((instrument, value, _, _) =>
        {
            if (instrument.Name == "swinface.batch.size" && Environment.CurrentManagedThreadId == thread)
            {
                batches++;
                batchFaces += value;
            }
        });
        listener.Start();

        analyzer.Analyze([.. _faces, .. _faces, _faces[0]], FaceTasks.Identity);

        Assert.Equal(9, faces);
        Assert.Equal(3, batches);
        Assert.Equal(9, batchFaces);
    }

    /// <summary>A call of one face that holds the model inside its batch until released, so that later callers must queue.</summary>
    private sealed class HeldModel : IDisposable
    {
        private readonly ManualResetEventSlim _release = new();
        private Task? _leader;

        public static HeldModel Hold(FaceAnalyzer analyzer, byte[] pixels)
        {
            var held = new HeldModel();
            using var inBatch = new ManualResetEventSlim();
            held._leader = Task.Run(() => analyzer.Scheduler.Run(1, FaceTasks.Identity, (_, rgb) =>
            {
                inBatch.Set();
                held._release.Wait();
                pixels.CopyTo(rgb);
            }));
            Assert.True(inBatch.Wait(TimeSpan.FromSeconds(30)));
            return held;
        }

        public async Task ReleaseAsync()
        {
            _release.Set();
            await _leader!.WaitAsync(TimeSpan.FromSeconds(60));
        }

        public void Dispose()
        {
            // Released, and the leader out of its wait, before the event goes: a test that failed early does not leave it waiting.
            _release.Set();
            _ = Task.WhenAny(_leader ?? Task.CompletedTask).Wait(TimeSpan.FromSeconds(60));
            _release.Dispose();
        }
    }

    private static byte[] Pixels(Image<Rgb24> face)
    {
        byte[] rgb = new byte[112 * 112 * 3];
        face.CopyPixelDataTo(rgb);
        return rgb;
    }

    private static async Task WaitUntil(Func<bool> condition)
    {
        for (int i = 0; i < 3000 && !condition(); i++)
        {
            await Task.Delay(10);
        }

        Assert.True(condition(), "timed out waiting for the scheduler");
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
