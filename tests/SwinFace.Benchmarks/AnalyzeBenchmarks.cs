using BenchmarkDotNet.Attributes;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using SwinFace.Analysis;

namespace SwinFace.Benchmarks;

/// <summary>
/// <see cref="FaceAnalyzer.Analyze(IReadOnlyList{Image{Rgb24}}, FaceTasks)"/> on aligned faces:
/// full analysis at several batch sizes, and each task alone.
/// </summary>
/// <remarks>
/// <c>OperationsPerInvoke</c> is the number of faces one invocation analyses, so every time and allocation in
/// the summary is per face, and Faces/s is 1 s / Median.
/// </remarks>
[FacesPerSecondColumn]
public class AnalyzeBenchmarks : IDisposable
{
    /// <summary>Faces per invocation of <see cref="Full"/>: one batch of 32, 4 of 8 or 32 of 1.</summary>
    private const int FullFaces = 32;

    /// <summary>The batch size of <see cref="OneTask"/>.</summary>
    private const int TaskBatch = 8;

    private FaceAnalyzer? _analyzer;
    private Image<Rgb24>[] _faces = [];

    /// <summary>Loads the model and creates 32 seeded random faces.</summary>
    [GlobalSetup]
    public void Setup()
    {
        _analyzer = FaceAnalyzer.Create(BenchmarkEnvironment.ModelPath(), new FaceAnalyzerOptions { IntraOpThreads = BenchmarkEnvironment.Threads() });
        _faces = SyntheticData.Faces(FullFaces, seed: 42);
    }

    /// <summary>Full analysis (<see cref="FaceTasks.All"/>) of 32 faces in calls of <paramref name="batch"/> faces.</summary>
    /// <param name="batch">The faces per call: 1, 8 or 32.</param>
    /// <returns>The number of faces analysed.</returns>
    [Benchmark(OperationsPerInvoke = FullFaces)]
    [Arguments(1)]
    [Arguments(8)]
    [Arguments(32)]
    public int Full(int batch)
    {
        int analysed = 0;
        for (int start = 0; start < FullFaces; start += batch)
        {
            analysed += Analyzer.Analyze(new ArraySegment<Image<Rgb24>>(_faces, start, batch), FaceTasks.All).Count;
        }

        return analysed;
    }

    /// <summary>One task alone on a batch of 8 faces; <see cref="FaceTasks.Identity"/> runs only the backbone.</summary>
    /// <param name="task">The task.</param>
    /// <returns>The analyses.</returns>
    [Benchmark(OperationsPerInvoke = TaskBatch)]
    [Arguments(FaceTasks.Identity)]
    [Arguments(FaceTasks.Gender)]
    [Arguments(FaceTasks.Age)]
    [Arguments(FaceTasks.Expression)]
    [Arguments(FaceTasks.Attributes)]
    public IReadOnlyList<FaceAnalysis> OneTask(FaceTasks task) => Analyzer.Analyze(new ArraySegment<Image<Rgb24>>(_faces, 0, TaskBatch), task);

    /// <summary>Frees the model and the faces.</summary>
    [GlobalCleanup]
    public void Dispose()
    {
        _analyzer?.Dispose();
        _analyzer = null;
        foreach (Image<Rgb24> face in _faces)
        {
            face.Dispose();
        }

        _faces = [];
        GC.SuppressFinalize(this);
    }

    private FaceAnalyzer Analyzer => _analyzer ?? throw new InvalidOperationException("The benchmark has not been set up.");
}
