using System.Globalization;

namespace SwinFace.Benchmarks;

/// <summary>Where the benchmarks find their model and photo, and how many threads ONNX Runtime gets.</summary>
/// <remarks>
/// BenchmarkDotNet runs each benchmark in a child process built under this project's <c>bin</c> folder, so
/// paths are found from the repository root (the folder holding <c>SwinFace.sln</c>) rather than the working directory.
/// The child process inherits the environment variables.
/// </remarks>
internal static class BenchmarkEnvironment
{
    /// <summary>The variable that overrides the model path.</summary>
    public const string ModelVariable = "SWINFACE_MODEL";

    /// <summary>The variable that sets ONNX Runtime's threads per model run.</summary>
    public const string ThreadsVariable = "SWINFACE_THREADS";

    /// <summary>The variable that overrides the photo of <see cref="PhotoBenchmarks"/>.</summary>
    public const string PhotoVariable = "SWINFACE_PHOTO";

    private static readonly Lazy<string> Root = new(FindRepositoryRoot);

    /// <summary>Gets the repository root: the first folder above the application that holds <c>SwinFace.sln</c>.</summary>
    public static string RepositoryRoot => Root.Value;

    /// <summary>
    /// Makes relative paths in <c>SWINFACE_MODEL</c> and <c>SWINFACE_PHOTO</c> absolute, from the current folder,
    /// before the benchmark processes (which start elsewhere) inherit them.
    /// </summary>
    public static void ResolvePathVariables()
    {
        foreach (string variable in (string[])[ModelVariable, PhotoVariable])
        {
            string? value = Environment.GetEnvironmentVariable(variable);
            if (!string.IsNullOrEmpty(value))
            {
                Environment.SetEnvironmentVariable(variable, Path.GetFullPath(value));
            }
        }
    }

    /// <summary>Gets the model path from <c>SWINFACE_MODEL</c>, or the full-size seeded model that <c>models/make-full-parity.sh</c> writes.</summary>
    public static string ModelPath()
    {
        string? configured = Environment.GetEnvironmentVariable(ModelVariable);
        string path = string.IsNullOrEmpty(configured)
            ? Path.Combine(RepositoryRoot, "artifacts", "full", "swinface-full.swinface")
            : Path.GetFullPath(configured);
        if (!File.Exists(path))
        {
            string hint = string.IsNullOrEmpty(configured)
                ? $"Run models/make-full-parity.sh to write the full-size model there, or set {ModelVariable} to a .swinface file (models/testdata/swinface-tiny.swinface for a quick check)."
                : $"{ModelVariable} must name a .swinface file; unset it to use artifacts/full/swinface-full.swinface, which models/make-full-parity.sh writes.";
            throw new FileNotFoundException($"SwinFace model not found: {path}. {hint}", path);
        }

        return path;
    }

    /// <summary>Gets ONNX Runtime's threads per model run from <c>SWINFACE_THREADS</c>; 0 (the default) lets ONNX Runtime choose.</summary>
    public static int Threads()
    {
        string? configured = Environment.GetEnvironmentVariable(ThreadsVariable);
        if (string.IsNullOrEmpty(configured))
        {
            return 0;
        }

        return int.TryParse(configured, NumberStyles.None, CultureInfo.InvariantCulture, out int threads)
            ? threads
            : throw new InvalidOperationException($"{ThreadsVariable} must be a whole number of threads, 0 or more; got '{configured}'.");
    }

    /// <summary>Gets the photo from <c>SWINFACE_PHOTO</c>, or <c>../shared/testdata/photos/three-faces.jpg</c> from the repository root.</summary>
    public static string PhotoPath()
    {
        string? configured = Environment.GetEnvironmentVariable(PhotoVariable);
        string path = string.IsNullOrEmpty(configured)
            ? Path.GetFullPath(Path.Combine(RepositoryRoot, "..", "shared", "testdata", "photos", "three-faces.jpg"))
            : Path.GetFullPath(configured);
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"Benchmark photo not found: {path}. Set {PhotoVariable} to a photo with faces.", path);
        }

        return path;
    }

    private static string FindRepositoryRoot()
    {
        for (DirectoryInfo? folder = new(AppContext.BaseDirectory); folder is not null; folder = folder.Parent)
        {
            if (File.Exists(Path.Combine(folder.FullName, "SwinFace.sln")))
            {
                return folder.FullName;
            }
        }

        throw new DirectoryNotFoundException($"No folder above {AppContext.BaseDirectory} holds SwinFace.sln; run the benchmarks from a checkout of the repository.");
    }
}
