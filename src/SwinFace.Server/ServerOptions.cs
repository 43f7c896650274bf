using System.Globalization;
using Microsoft.Extensions.Options;
using SwinFace.Server.Security;

namespace SwinFace.Server;

/// <summary>
/// The service's settings: the configuration section <c>SwinFace</c> (appsettings.json, environment variables such as
/// <c>SwinFace__MaxQueuedFaces</c>, the command line). Checked once, at start-up.
/// </summary>
internal sealed class ServerOptions
{
    /// <summary>The configuration section.</summary>
    public const string Section = "SwinFace";

    /// <summary>Gets or sets the model: a <c>.swinface</c> file or the authors' checkpoint. Required; <c>--model</c> on the command line.</summary>
    public string? Model { get; set; }

    /// <summary>Gets or sets ONNX Runtime's threads per model run; 0 lets ONNX Runtime choose.</summary>
    public int IntraOpThreads { get; set; }

    /// <summary>
    /// Gets or sets the most faces in one model run; concurrent requests share runs. On a CPU, runs of 8 are as fast
    /// per face as larger ones and take less memory (BENCHMARKS.md).
    /// </summary>
    public int MaxBatchSize { get; set; } = 8;

    /// <summary>Gets or sets the most faces waiting for the model; past it a request gets <c>503</c> with <c>Retry-After</c>.</summary>
    public int MaxQueuedFaces { get; set; } = 64;

    /// <summary>Gets or sets the most requests in progress at once; past it a request gets <c>503</c> at once.</summary>
    public int MaxConcurrentRequests { get; set; } = 64;

    /// <summary>Gets or sets the most photos decoded at once; each holds 3 bytes a pixel until its faces are cut out.</summary>
    public int MaxConcurrentPhotos { get; set; } = Environment.ProcessorCount;

    /// <summary>Gets or sets the largest request body in bytes; past it, <c>413</c>.</summary>
    public long MaxRequestBytes { get; set; } = 16 * 1024 * 1024;

    /// <summary>Gets or sets the largest image in pixels (width x height), read from its header before decoding; past it, <c>400</c>.</summary>
    public long MaxImagePixels { get; set; } = 40_000_000;

    /// <summary>Gets or sets the most images in one request; past it, <c>400</c>.</summary>
    public int MaxImagesPerRequest { get; set; } = 16;

    /// <summary>Gets or sets the most faces analysed in one image: the strongest are kept, the rest counted as skipped.</summary>
    public int MaxFacesPerImage { get; set; } = 32;

    /// <summary>Gets or sets how long a request may take; past it the request is cancelled, its faces leave the queue, and the answer is <c>504</c>.</summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Gets or sets the photo <c>/readyz</c> analyses, which must show a face: by default NASA's portrait of Eileen Collins
    /// (public domain), carried by the library as <c>swinface-fidelity/astronaut.png</c>.
    /// </summary>
    public string ReadinessPhoto { get; set; } = Path.Combine(AppContext.BaseDirectory, "swinface-fidelity", "astronaut.png");

    /// <summary>Gets or sets the most matches an identify may ask for.</summary>
    public int MaxTopK { get; set; } = 100;

    /// <summary>Gets or sets where the galleries live.</summary>
    public GalleryStoreOptions Galleries { get; set; } = new();

    /// <summary>Gets the API keys, by the SHA-256 of the key; <c>SWINFACE_API_KEY</c> adds one key with every scope.</summary>
    public List<ApiKeyOptions> ApiKeys { get; } = [];

    /// <summary>Makes the analyzer's options from these settings.</summary>
    public FaceAnalyzerOptions ToAnalyzerOptions() => new()
    {
        IntraOpThreads = IntraOpThreads,
        MaxBatchSize = MaxBatchSize,
        MaxQueuedFaces = MaxQueuedFaces,
        MaxConcurrentPhotos = MaxConcurrentPhotos,
        MaxImagePixels = MaxImagePixels,
    };
}

/// <summary>Where the galleries live: <c>Store</c> is <c>Folder</c> (the default), <c>Memory</c> or <c>Postgres</c>.</summary>
internal sealed class GalleryStoreOptions
{
    /// <summary>Gets or sets the kind of store.</summary>
    public GalleryStoreKind Store { get; set; } = GalleryStoreKind.Folder;

    /// <summary>Gets or sets the folder of gallery files, for <see cref="GalleryStoreKind.Folder"/>; relative paths are under the content root.</summary>
    public string Folder { get; set; } = "galleries";

    /// <summary>Gets or sets the PostgreSQL connection string, for <see cref="GalleryStoreKind.Postgres"/> (or <c>ConnectionStrings:Galleries</c>).</summary>
    public string? ConnectionString { get; set; }

    /// <summary>
    /// Gets or sets the fewest candidates a search fetches from the HNSW index before re-ranking them exactly, for
    /// <see cref="GalleryStoreKind.Postgres"/>: more is slower and finds more of the true top k (PgVectorGalleryStoreOptions.MinCandidates).
    /// </summary>
    public int MinCandidates { get; set; } = 100;
}

/// <summary>The kinds of gallery store.</summary>
internal enum GalleryStoreKind
{
    /// <summary>A folder of gallery files, each loaded into memory and saved atomically after every change. One replica only.</summary>
    Folder,

    /// <summary>Galleries in memory only, lost when the service stops. For tests and trials.</summary>
    Memory,

    /// <summary>PostgreSQL with pgvector, shared by any number of replicas.</summary>
    Postgres,
}

/// <summary>Checks <see cref="ServerOptions"/> at start-up, so a bad setting stops the service with a message that names it.</summary>
internal sealed class ServerOptionsValidator(IConfiguration configuration) : IValidateOptions<ServerOptions>
{
    public ValidateOptionsResult Validate(string? name, ServerOptions options)
    {
        var errors = new List<string>();
        if (string.IsNullOrWhiteSpace(options.Model))
        {
            errors.Add("SwinFace:Model is required: pass --model PATH, a .swinface model file or the authors' checkpoint.");
        }
        else if (!File.Exists(options.Model))
        {
            errors.Add($"SwinFace:Model: the file {options.Model} does not exist.");
        }

        if (!File.Exists(options.ReadinessPhoto))
        {
            errors.Add($"SwinFace:ReadinessPhoto: the file {options.ReadinessPhoto} does not exist; /readyz analyses it.");
        }

        Positive(errors, nameof(options.MaxBatchSize), options.MaxBatchSize);
        Positive(errors, nameof(options.MaxQueuedFaces), options.MaxQueuedFaces);
        Positive(errors, nameof(options.MaxConcurrentRequests), options.MaxConcurrentRequests);
        Positive(errors, nameof(options.MaxConcurrentPhotos), options.MaxConcurrentPhotos);
        Positive(errors, nameof(options.MaxRequestBytes), options.MaxRequestBytes);
        Positive(errors, nameof(options.MaxImagePixels), options.MaxImagePixels);
        Positive(errors, nameof(options.MaxImagesPerRequest), options.MaxImagesPerRequest);
        Positive(errors, nameof(options.MaxFacesPerImage), options.MaxFacesPerImage);
        Positive(errors, nameof(options.MaxTopK), options.MaxTopK);
        if (options.IntraOpThreads < 0)
        {
            errors.Add($"SwinFace:IntraOpThreads must be 0 or more; got {options.IntraOpThreads}.");
        }

        if (options.RequestTimeout <= TimeSpan.Zero)
        {
            errors.Add($"SwinFace:RequestTimeout must be positive; got {options.RequestTimeout}.");
        }

        if (options.Galleries.Store == GalleryStoreKind.Postgres && string.IsNullOrWhiteSpace(options.Galleries.ConnectionString))
        {
            errors.Add("SwinFace:Galleries:Store is Postgres, but no connection string is set (SwinFace:Galleries:ConnectionString or ConnectionStrings:Galleries).");
        }

        if (options.Galleries.MinCandidates is < 1 or > PostgreSql.PgVectorGalleryStoreOptions.MaxMinCandidates)
        {
            errors.Add($"SwinFace:Galleries:MinCandidates must be 1 to {PostgreSql.PgVectorGalleryStoreOptions.MaxMinCandidates}; got {options.Galleries.MinCandidates}.");
        }

        if (options.Galleries.Store == GalleryStoreKind.Folder && string.IsNullOrWhiteSpace(options.Galleries.Folder))
        {
            errors.Add("SwinFace:Galleries:Folder must name a folder.");
        }

        errors.AddRange(ApiKeyOptions.Check(options.ApiKeys));
        if (options.ApiKeys.Count == 0 && string.IsNullOrEmpty(configuration[ApiKeyRing.EnvironmentKey]))
        {
            errors.Add($"No API keys: set {ApiKeyRing.EnvironmentKey} for a first try (one key with every scope), or configure SwinFace:ApiKeys by SHA-256 and scope.");
        }
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    private static void Positive(List<string> errors, string setting, long value)
    {
        if (value < 1)
        {
            errors.Add(string.Create(CultureInfo.InvariantCulture, $"SwinFace:{setting} must be at least 1; got {value}."));
        }
    }
}
