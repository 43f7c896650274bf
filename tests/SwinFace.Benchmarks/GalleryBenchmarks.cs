using System.Diagnostics;
using BenchmarkDotNet.Attributes;
using SwinFace.Recognition;

namespace SwinFace.Benchmarks;

/// <summary>
/// <see cref="FaceGallery"/> with 100,000 and 1,000,000 identities of one random template each: an exact top-10
/// search, and loading a saved gallery file.
/// </summary>
/// <remarks>
/// Each benchmark runs in its own process with its own setup, so each builds its gallery by enrolling the
/// identities one by one (seconds for a million). The gallery of <see cref="Load"/> is saved and freed in setup,
/// so the measured loads do not share memory with it.
/// </remarks>
public class GalleryBenchmarks : IDisposable
{
    private const int Seed = 7;

    private FaceGallery? _gallery;
    private float[] _probe = [];
    private string? _folder;
    private string _file = "";

    /// <summary>Gets or sets the number of identities.</summary>
    [Params(100_000, 1_000_000)]
    public int Identities { get; set; }

    /// <summary>Builds the gallery and a random probe.</summary>
    [GlobalSetup(Target = nameof(Search))]
    public void SetupSearch()
    {
        _gallery = Build();
        _probe = new float[SyntheticData.EmbeddingSize];
        SyntheticData.Embedding(new Random(Seed + 1), _probe);
    }

    /// <summary>Builds the gallery, saves it in a new temporary folder and frees it.</summary>
    [GlobalSetup(Target = nameof(Load))]
    public void SetupLoad()
    {
        _folder = Directory.CreateTempSubdirectory("swinface-bench-").FullName;
        _file = Path.Combine(_folder, "bench.gallery");
        using (FaceGallery gallery = Build())
        {
            gallery.Save(_file);
        }

        Console.WriteLine($"// Gallery file: {new FileInfo(_file).Length / (double)Identities:F0} bytes per identity");
    }

    /// <summary>Finds the 10 identities most similar to the probe (exact search, split across the cores).</summary>
    /// <returns>The matches.</returns>
    [Benchmark]
    public IReadOnlyList<GalleryMatch> Search() => (_gallery ?? throw new InvalidOperationException("The benchmark has not been set up.")).Search(_probe, 10);

    /// <summary>Loads the saved gallery, checking its SHA-256.</summary>
    /// <returns>The number of identities loaded.</returns>
    [Benchmark]
    public int Load()
    {
        using FaceGallery gallery = FaceGallery.Load(_file);
        return gallery.Count;
    }

    /// <summary>Frees the gallery and deletes the temporary folder.</summary>
    [GlobalCleanup]
    public void Dispose()
    {
        _gallery?.Dispose();
        _gallery = null;
        if (_folder is not null && Directory.Exists(_folder))
        {
            Directory.Delete(_folder, recursive: true);
        }

        _folder = null;
        GC.SuppressFinalize(this);
    }

    private FaceGallery Build()
    {
        long start = Stopwatch.GetTimestamp();
        FaceGallery gallery = SyntheticData.Gallery(Identities, Seed);
        Console.WriteLine($"// Enrolled {Identities:N0} identities in {Stopwatch.GetElapsedTime(start).TotalSeconds:F1} s");
        return gallery;
    }
}
