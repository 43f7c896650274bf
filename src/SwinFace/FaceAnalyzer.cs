using System.Buffers;
using System.Diagnostics;
using System.Numerics;
using Microsoft.ML.OnnxRuntime;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using SwinFace.Alignment;
using SwinFace.Analysis;
using SwinFace.Detection;
using SwinFace.Imaging;
using SwinFace.Inference;

namespace SwinFace;

/// <summary>
/// Runs SwinFace on photos and aligned faces: identity embedding, expression, age, gender and the 40 CelebA attributes.
/// </summary>
/// <remarks>
/// <para>
/// <see cref="AnalyzePhoto(string, FaceTasks, bool)"/> finds every face of a photo (YuNet by default,
/// <see cref="FaceAnalyzerOptions.Detector"/> for another detector), aligns each to the ArcFace template by
/// its five landmarks (<see cref="PhotoFace.AlignmentPoints"/>) and analyses them all in one batched model run. <see cref="Analyze(Image{Rgb24}, FaceTasks)"/>
/// takes faces that are already aligned.
/// </para>
/// <para>
/// Create one analyzer per model and share it: all members are safe to call from many threads at once.
/// Concurrent calls do not run the model side by side (one batch already uses every core): their faces
/// are pooled into shared batches of up to <see cref="FaceAnalyzerOptions.MaxBatchSize"/>, which is how
/// many callers with one face each get the throughput of one caller with a batch. Dispose the analyzer
/// when done to free the native ONNX Runtime sessions.
/// </para>
/// <para>
/// Results depend on batching in the last bits only: a face analysed in a shared batch, or in a batch of
/// another size, goes through ONNX Runtime's matrix kernels in blocks of another shape, so its sums are
/// added in another order. Measured (8 threads of mixed calls against serial results,
/// <c>FaceAnalyzerConcurrencyTests</c>): at most 9.7e-8 on any output of the full-size model (unit embedding
/// values, probabilities, age in years), 6.0e-8 with the tiny test model. Compare results within 1e-5, the
/// bound the tests hold them to, not bit for bit.
/// </para>
/// <para>
/// Faces must be aligned like the model's training data: a similarity transform of five landmarks onto
/// the ArcFace 112 x 112 template. A face of another size is resized to 112 x 112 the way the SwinFace
/// authors' inference script does it (OpenCV <c>cv2.resize</c>, bilinear, reproduced bit for bit); a
/// resize does not align a face.
/// </para>
/// </remarks>
public sealed class FaceAnalyzer : IDisposable
{
    private readonly ModelRunner _runner;
    private readonly IFaceDetector _detector;
    private readonly IDisposable? _ownedDetector;
    private readonly PhotoLoader _loader;
    private readonly BatchScheduler _scheduler;
    private readonly int _maxBatch;
    private readonly SemaphoreSlim _photos;
    private int _photosPending;
    private volatile bool _disposed;

    private FaceAnalyzer(ModelRunner runner, FaceAnalyzerOptions options, IFaceDetector? ownedDetector)
    {
        _runner = runner;
        _maxBatch = options.MaxBatchSize;
        _photos = new SemaphoreSlim(options.MaxConcurrentPhotos);
        _ownedDetector = ownedDetector as IDisposable;
        _detector = options.Detector ?? ownedDetector!;
        _loader = new PhotoLoader(options.MaxImagePixels, options.AnalyzeDamagedPhotos);
        _scheduler = new BatchScheduler(runner, FacePixels.NormalizationTables(runner.Manifest.Mean, runner.Manifest.Std), options.MaxBatchSize, options.MaxQueuedFaces);
        ModelName = runner.Manifest.Name;
        ModelVersion = runner.Manifest.Version;
        ModelSource = runner.Manifest.Source;
        ModelId = runner.ModelId;
        Precision = runner.Manifest.Precision == "int8" ? ModelPrecision.Int8 : ModelPrecision.Float32;
        Fidelity = runner.Manifest.Fidelity;
    }

    /// <summary>
    /// The name of the <see cref="System.Diagnostics.Metrics.Meter"/> on which analyzers report their work, for
    /// OpenTelemetry's <c>AddMeter</c> or a <see cref="System.Diagnostics.Metrics.MeterListener"/>: <c>SwinFace</c>.
    /// </summary>
    /// <remarks>
    /// The instruments, summed over all analyzers of the process: <c>swinface.faces</c> (counter, faces through the
    /// model), <c>swinface.rejected</c> (counter, calls refused because the queue was full),
    /// <c>swinface.queue.faces</c> (up-down counter, faces waiting for a model run), <c>swinface.batch.size</c>
    /// (histogram, faces per model run) and <c>swinface.batch.duration</c> (histogram, seconds per model run).
    /// </remarks>
    public const string MeterName = "SwinFace";

    /// <summary>Gets the number of model runs so far (batches); for tests and diagnostics.</summary>
    internal int BatchesRun => _scheduler.Batches;

    /// <summary>Gets the scheduler that batches callers' faces; for tests.</summary>
    internal BatchScheduler Scheduler => _scheduler;

    /// <summary>Gets the model's name from its manifest, such as <c>SwinFace</c>.</summary>
    public string ModelName { get; }

    /// <summary>Gets the model's version from its manifest, such as <c>swin_t-1</c>.</summary>
    public string ModelVersion { get; }

    /// <summary>
    /// Gets the model's identity: <c>sha256:</c> and the SHA-256 of its manifest, which records the SHA-256 of every graph.
    /// It is the same whether the analyzer was created from the authors' checkpoint or from the model file converted
    /// from it, and it differs for other weights or another precision. Galleries and stored embeddings should record
    /// it: similarities between embeddings of different models mean nothing.
    /// </summary>
    public string ModelId { get; }

    /// <summary>Gets the model's numeric precision, from its manifest.</summary>
    public ModelPrecision Precision { get; }

    /// <summary>
    /// Gets how close an int8 model's results were to the fp32 model's, as measured when it was converted,
    /// or <see langword="null"/> for an fp32 model (or an int8 model still being converted).
    /// </summary>
    public Conversion.QuantizationFidelity? Fidelity { get; }

    /// <summary>Gets where the model's weights came from, as the exporter recorded it (a checkpoint's SHA-256, or a random seed).</summary>
    public string ModelSource { get; }

    /// <summary>Loads a SwinFace model file, or the authors' checkpoint, and checks it completely.</summary>
    /// <param name="modelPath">
    /// The path of a model file (<c>.swinface</c>, written by <see cref="Conversion.CheckpointConverter"/> or
    /// <c>models/export/export.py</c>), or of the authors' PyTorch checkpoint (<c>checkpoint_step_79999_gpu_0.pt</c>),
    /// which is converted while it loads. Which one it is comes from the content, not the name.
    /// Converting once with <see cref="Conversion.CheckpointConverter"/> makes later loads faster.
    /// </param>
    /// <param name="options">Options, or <see langword="null"/> for the defaults.</param>
    /// <returns>An analyzer the caller disposes.</returns>
    /// <exception cref="ArgumentException"><paramref name="modelPath"/> is empty, an option is out of range, or more than one option chooses the detector.</exception>
    /// <exception cref="ArgumentNullException"><paramref name="modelPath"/> is <see langword="null"/>.</exception>
    /// <exception cref="FileNotFoundException">The file does not exist, or the default detector's model file is missing.</exception>
    /// <exception cref="SwinFaceModelException">
    /// The file is neither a SwinFace model nor the authors' checkpoint, or it is damaged (every graph's SHA-256 is
    /// checked before ONNX Runtime sees it): the message says what was expected and found.
    /// </exception>
    /// <exception cref="IOException">The file cannot be read, or the temporary folder cannot be written (each graph passes through a temporary file while it loads).</exception>
    public static FaceAnalyzer Create(string modelPath, FaceAnalyzerOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(modelPath);
        if (!File.Exists(modelPath))
        {
            throw new FileNotFoundException($"SwinFace model file not found: {modelPath}", modelPath);
        }

        using RandomAccessBytes bytes = RandomAccessBytes.Open(modelPath);
        return Create(bytes, modelPath, options);
    }

    /// <summary>Loads a SwinFace model, or the authors' checkpoint, from a stream and checks it completely.</summary>
    /// <param name="model">The bytes of a model file or of a checkpoint; read, not disposed. A stream that cannot seek is copied to memory first.</param>
    /// <param name="options">Options, or <see langword="null"/> for the defaults.</param>
    /// <returns>An analyzer the caller disposes.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="model"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="model"/> cannot be read, an option is out of range, or more than one option chooses the detector.</exception>
    /// <exception cref="FileNotFoundException">The default detector's model file is missing.</exception>
    /// <exception cref="SwinFaceModelException">The data is not a SwinFace model: the message says what was expected and found.</exception>
    /// <exception cref="IOException">The temporary folder cannot be written (each graph passes through a temporary file while it loads).</exception>
    public static FaceAnalyzer Create(Stream model, FaceAnalyzerOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (!model.CanRead)
        {
            throw new ArgumentException("The model stream is not readable.", nameof(model));
        }

        if (!model.CanSeek)
        {
            var copy = new MemoryStream();
            model.CopyTo(copy);
            copy.Position = 0;
            model = copy;
        }

        using RandomAccessBytes bytes = RandomAccessBytes.Wrap(model);
        return Create(bytes, "model stream", options);
    }

    /// <summary>Loads a SwinFace model, or the authors' checkpoint, from its bytes and checks it completely.</summary>
    /// <param name="model">The bytes of a model file or of a checkpoint.</param>
    /// <param name="options">Options, or <see langword="null"/> for the defaults.</param>
    /// <returns>An analyzer the caller disposes.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="model"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">An option is out of range, or more than one option chooses the detector.</exception>
    /// <exception cref="FileNotFoundException">The default detector's model file is missing.</exception>
    /// <exception cref="SwinFaceModelException">The bytes are not a SwinFace model: the message says what was expected and found.</exception>
    /// <exception cref="IOException">The temporary folder cannot be written (each graph passes through a temporary file while it loads).</exception>
    public static FaceAnalyzer Create(byte[] model, FaceAnalyzerOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        using var stream = new MemoryStream(model, writable: false);
        using RandomAccessBytes bytes = RandomAccessBytes.Wrap(stream);
        return Create(bytes, "model bytes", options);
    }

    /// <summary>Finds every face in a photo file, aligns each one and analyses them all in one batched run.</summary>
    /// <param name="path">The photo's path. EXIF orientation is applied; transparency is flattened onto white.</param>
    /// <param name="tasks">The outputs to compute for each face; the default is all of them.</param>
    /// <param name="includeAlignedFaces">Whether to return each face's aligned 112 x 112 crop.</param>
    /// <returns>The faces found, possibly none.</returns>
    /// <exception cref="ArgumentException"><paramref name="path"/> is empty, or <paramref name="tasks"/> is invalid.</exception>
    /// <exception cref="ArgumentNullException"><paramref name="path"/> is <see langword="null"/>.</exception>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="SwinFaceImageException">
    /// The file is not a readable image, is corrupt, has more than <see cref="FaceAnalyzerOptions.MaxImagePixels"/> pixels,
    /// or is damaged (cut short, say) while <see cref="FaceAnalyzerOptions.AnalyzeDamagedPhotos"/> is off.
    /// </exception>
    /// <exception cref="ObjectDisposedException">The analyzer has been disposed.</exception>
    public PhotoAnalysis AnalyzePhoto(string path, FaceTasks tasks = FaceTasks.All, bool includeAlignedFaces = false)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"Image file not found: {path}", path);
        }

        using FileStream stream = File.OpenRead(path);
        return AnalyzePhoto(stream, path, tasks, includeAlignedFaces);
    }

    /// <summary>Finds every face in an encoded photo read from a stream, aligns each one and analyses them all in one batched run.</summary>
    /// <param name="photo">The encoded image (JPEG, PNG, BMP, GIF, TIFF, TGA, WebP, PBM); read, not disposed.</param>
    /// <param name="tasks">The outputs to compute for each face; the default is all of them.</param>
    /// <param name="includeAlignedFaces">Whether to return each face's aligned 112 x 112 crop.</param>
    /// <returns>The faces found, possibly none.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="photo"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="tasks"/> is invalid.</exception>
    /// <exception cref="SwinFaceImageException">
    /// The data is not a readable image, is corrupt, is too large, or is damaged while
    /// <see cref="FaceAnalyzerOptions.AnalyzeDamagedPhotos"/> is off.
    /// </exception>
    /// <exception cref="ObjectDisposedException">The analyzer has been disposed.</exception>
    public PhotoAnalysis AnalyzePhoto(Stream photo, FaceTasks tasks = FaceTasks.All, bool includeAlignedFaces = false)
    {
        ArgumentNullException.ThrowIfNull(photo);
        if (!photo.CanSeek)
        {
            var copy = new MemoryStream();
            photo.CopyTo(copy);
            copy.Position = 0;
            photo = copy;
        }

        return AnalyzePhoto(photo, "image stream", tasks, includeAlignedFaces);
    }

    /// <summary>Finds every face in an encoded photo, aligns each one and analyses them all in one batched run.</summary>
    /// <param name="photo">The encoded image's bytes.</param>
    /// <param name="tasks">The outputs to compute for each face; the default is all of them.</param>
    /// <param name="includeAlignedFaces">Whether to return each face's aligned 112 x 112 crop.</param>
    /// <returns>The faces found, possibly none.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="photo"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="tasks"/> is invalid.</exception>
    /// <exception cref="SwinFaceImageException">
    /// The data is not a readable image, is corrupt, is too large, or is damaged while
    /// <see cref="FaceAnalyzerOptions.AnalyzeDamagedPhotos"/> is off.
    /// </exception>
    /// <exception cref="ObjectDisposedException">The analyzer has been disposed.</exception>
    public PhotoAnalysis AnalyzePhoto(byte[] photo, FaceTasks tasks = FaceTasks.All, bool includeAlignedFaces = false)
    {
        ArgumentNullException.ThrowIfNull(photo);
        using var stream = new MemoryStream(photo, writable: false);
        return AnalyzePhoto(stream, "image bytes", tasks, includeAlignedFaces);
    }

    /// <summary>Finds every face in a decoded photo, aligns each one and analyses them all in one batched run.</summary>
    /// <param name="photo">The photo, used as it is: apply EXIF orientation first if needed (<c>AutoOrient</c>). Never modified.</param>
    /// <param name="tasks">The outputs to compute for each face; the default is all of them.</param>
    /// <param name="includeAlignedFaces">Whether to return each face's aligned 112 x 112 crop.</param>
    /// <returns>The faces found, possibly none.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="photo"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="tasks"/> is invalid.</exception>
    /// <exception cref="ObjectDisposedException">The analyzer has been disposed.</exception>
    public PhotoAnalysis AnalyzePhoto(Image<Rgb24> photo, FaceTasks tasks = FaceTasks.All, bool includeAlignedFaces = false)
    {
        ArgumentNullException.ThrowIfNull(photo);
        ValidateTasks(tasks);
        ObjectDisposedException.ThrowIf(_disposed, this);
        return AnalyzePrepared(Prepare(photo, null), tasks, includeAlignedFaces);
    }

    /// <summary>
    /// Finds every face in an encoded photo, aligns each one and analyses them, waiting for the model without
    /// blocking a thread: for servers, where many requests share the analyzer.
    /// </summary>
    /// <param name="photo">The encoded image (JPEG, PNG, BMP, GIF, TIFF, TGA, WebP, PBM); read, not disposed. A stream that cannot seek is copied to memory first.</param>
    /// <param name="options">Which outputs, which faces, and whether to return the crops; <see langword="null"/> for the defaults.</param>
    /// <param name="cancellationToken">
    /// Cancels the call. Faces still waiting for the model leave the queue at once; faces already in a running
    /// batch finish there and their results are dropped. Decoding and detection are not interrupted.
    /// </param>
    /// <returns>The faces found and analysed, possibly none.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="photo"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">An option is invalid.</exception>
    /// <exception cref="SwinFaceImageException">
    /// The data is not a readable image, is corrupt, is too large, or is damaged while
    /// <see cref="FaceAnalyzerOptions.AnalyzeDamagedPhotos"/> is off.
    /// </exception>
    /// <exception cref="SwinFaceBusyException">The queue of faces is full (<see cref="FaceAnalyzerOptions.MaxQueuedFaces"/>).</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    /// <exception cref="ObjectDisposedException">The analyzer has been disposed.</exception>
    public async Task<PhotoAnalysis> AnalyzePhotoAsync(Stream photo, PhotoAnalysisOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(photo);
        options ??= PhotoAnalysisOptions.Default;
        options.Validate();
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (!photo.CanSeek)
        {
            var copy = new MemoryStream();
            await photo.CopyToAsync(copy, cancellationToken).ConfigureAwait(false);
            copy.Position = 0;
            photo = copy;
        }

        PreparedPhoto prepared = await DecodeAsync(photo, options.Name, options, synchronously: false, cancellationToken).ConfigureAwait(false);
        FaceAnalysis[] analyses = await RunAsync(prepared.Crops.Length, options.Tasks, (i, rgb) => prepared.Crops[i].CopyTo(rgb), cancellationToken).ConfigureAwait(false);
        return prepared.Finish(analyses, 0, options.IncludeAlignedFaces);
    }

    /// <summary>Finds every face in a decoded photo, aligns each one and analyses them, waiting for the model without blocking a thread.</summary>
    /// <param name="photo">The photo, used as it is: apply EXIF orientation first if needed (<c>AutoOrient</c>). Never modified.</param>
    /// <param name="options">Which outputs, which faces, and whether to return the crops; <see langword="null"/> for the defaults.</param>
    /// <param name="cancellationToken">Cancels the call, as for <see cref="AnalyzePhotoAsync(Stream, PhotoAnalysisOptions?, CancellationToken)"/>.</param>
    /// <returns>The faces found and analysed, possibly none.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="photo"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">An option is invalid.</exception>
    /// <exception cref="SwinFaceBusyException">The queue of faces is full (<see cref="FaceAnalyzerOptions.MaxQueuedFaces"/>).</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    /// <exception cref="ObjectDisposedException">The analyzer has been disposed.</exception>
    public async Task<PhotoAnalysis> AnalyzePhotoAsync(Image<Rgb24> photo, PhotoAnalysisOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(photo);
        options ??= PhotoAnalysisOptions.Default;
        options.Validate();
        ObjectDisposedException.ThrowIf(_disposed, this);
        PreparedPhoto prepared = Prepare(photo, null, options);
        FaceAnalysis[] analyses = await RunAsync(prepared.Crops.Length, options.Tasks, (i, rgb) => prepared.Crops[i].CopyTo(rgb), cancellationToken).ConfigureAwait(false);
        return prepared.Finish(analyses, 0, options.IncludeAlignedFaces);
    }

    /// <summary>Analyzes a batch of aligned faces, waiting for the model without blocking a thread.</summary>
    /// <param name="faces">The faces, ideally 112 x 112 each; never modified, and not disposed before the task completes.</param>
    /// <param name="tasks">The outputs to compute; the default is all of them.</param>
    /// <param name="cancellationToken">Cancels the call, as for <see cref="AnalyzePhotoAsync(Stream, PhotoAnalysisOptions?, CancellationToken)"/>.</param>
    /// <returns>One analysis per face, in order.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="faces"/> or one of its items is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="tasks"/> is <see cref="FaceTasks.None"/> or holds undefined flags.</exception>
    /// <exception cref="SwinFaceBusyException">The queue of faces is full (<see cref="FaceAnalyzerOptions.MaxQueuedFaces"/>).</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    /// <exception cref="ObjectDisposedException">The analyzer has been disposed.</exception>
    public async Task<IReadOnlyList<FaceAnalysis>> AnalyzeAsync(IReadOnlyList<Image<Rgb24>> faces, FaceTasks tasks = FaceTasks.All, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(faces);
        for (int i = 0; i < faces.Count; i++)
        {
            if (faces[i] is null)
            {
                throw new ArgumentNullException(nameof(faces), $"Face {i} is null.");
            }
        }

        return await RunAsync(faces.Count, tasks, (i, rgb) => FacePixels.Copy(faces[i], rgb), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Analyses a stream of photo files, batching the faces of consecutive photos together: photos with one
    /// face each then run at the speed of full batches. Results come back in order, as batches complete.
    /// </summary>
    /// <param name="paths">The photo files; enumerated once, lazily.</param>
    /// <param name="tasks">The outputs to compute for each face; the default is all of them.</param>
    /// <param name="includeAlignedFaces">Whether to return each face's aligned 112 x 112 crop.</param>
    /// <returns>One result per path, in order: the analysis, or the error that made the photo unreadable.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="paths"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="tasks"/> is invalid.</exception>
    /// <exception cref="ObjectDisposedException">The analyzer has been disposed.</exception>
    /// <remarks>
    /// A missing or unreadable photo does not stop the stream: its result carries a
    /// <see cref="FileNotFoundException"/> or <see cref="SwinFaceImageException"/> instead of an analysis.
    /// </remarks>
    public IEnumerable<PhotoResult> AnalyzePhotos(IEnumerable<string> paths, FaceTasks tasks = FaceTasks.All, bool includeAlignedFaces = false)
    {
        ArgumentNullException.ThrowIfNull(paths);
        ValidateTasks(tasks);
        return StreamPhotos(paths, tasks, includeAlignedFaces);
    }

    /// <summary>Analyzes one aligned face.</summary>
    /// <param name="face">The face, ideally 112 x 112; never modified.</param>
    /// <param name="tasks">The outputs to compute; the default is all of them.</param>
    /// <returns>The analysis; outputs of tasks not requested are <see langword="null"/>.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="face"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="tasks"/> is <see cref="FaceTasks.None"/> or holds undefined flags.</exception>
    /// <exception cref="ObjectDisposedException">The analyzer has been disposed.</exception>
    public FaceAnalysis Analyze(Image<Rgb24> face, FaceTasks tasks = FaceTasks.All)
    {
        ArgumentNullException.ThrowIfNull(face);
        return Analyze([face], tasks)[0];
    }

    /// <summary>Analyzes a batch of aligned faces in as few model runs as <see cref="FaceAnalyzerOptions.MaxBatchSize"/> allows.</summary>
    /// <param name="faces">The faces, ideally 112 x 112 each; never modified.</param>
    /// <param name="tasks">The outputs to compute; the default is all of them.</param>
    /// <returns>One analysis per face, in order. Each equals the result of analyzing that face alone.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="faces"/> or one of its items is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="tasks"/> is <see cref="FaceTasks.None"/> or holds undefined flags.</exception>
    /// <exception cref="ObjectDisposedException">The analyzer has been disposed.</exception>
    public IReadOnlyList<FaceAnalysis> Analyze(IReadOnlyList<Image<Rgb24>> faces, FaceTasks tasks = FaceTasks.All)
    {
        ArgumentNullException.ThrowIfNull(faces);
        for (int i = 0; i < faces.Count; i++)
        {
            if (faces[i] is null)
            {
                throw new ArgumentNullException(nameof(faces), $"Face {i} is null.");
            }
        }

        return Run(faces.Count, tasks, (i, rgb) => FacePixels.Copy(faces[i], rgb));
    }

    /// <summary>Analyzes one aligned face given as raw interleaved RGB bytes.</summary>
    /// <param name="rgb">Rows of <paramref name="width"/> pixels, 3 bytes each (R, G, B), without padding.</param>
    /// <param name="width">The width in pixels; 112 for an aligned crop.</param>
    /// <param name="height">The height in pixels; 112 for an aligned crop.</param>
    /// <param name="tasks">The outputs to compute; the default is all of them.</param>
    /// <returns>The analysis; outputs of tasks not requested are <see langword="null"/>.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="width"/> or <paramref name="height"/> is less than 1.</exception>
    /// <exception cref="ArgumentException"><paramref name="rgb"/> is not width x height x 3 bytes long, or <paramref name="tasks"/> is invalid.</exception>
    /// <exception cref="ObjectDisposedException">The analyzer has been disposed.</exception>
    public FaceAnalysis Analyze(ReadOnlySpan<byte> rgb, int width, int height, FaceTasks tasks = FaceTasks.All)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 1);
        long expected = (long)width * height * 3;
        if (rgb.Length != expected)
        {
            throw new ArgumentException($"Expected {width} x {height} x 3 = {expected} bytes of RGB, got {rgb.Length}.", nameof(rgb));
        }

        byte[] copy = ArrayPool<byte>.Shared.Rent(FacePixels.Bytes);
        try
        {
            FacePixels.Copy(rgb, width, height, copy);
            return AnalyzeBatch(copy.AsSpan(0, FacePixels.Bytes), 1, tasks)[0];
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(copy);
        }
    }

    /// <summary>Analyzes a batch of aligned 112 x 112 faces stored one after another as raw RGB bytes.</summary>
    /// <param name="rgb">The faces, each 112 x 112 x 3 bytes (R, G, B interleaved, rows without padding).</param>
    /// <param name="count">The number of faces.</param>
    /// <param name="tasks">The outputs to compute; the default is all of them.</param>
    /// <returns>One analysis per face, in order.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="count"/> is negative.</exception>
    /// <exception cref="ArgumentException"><paramref name="rgb"/> is not count x 37632 bytes long, or <paramref name="tasks"/> is invalid.</exception>
    /// <exception cref="ObjectDisposedException">The analyzer has been disposed.</exception>
    public IReadOnlyList<FaceAnalysis> AnalyzeBatch(ReadOnlySpan<byte> rgb, int count, FaceTasks tasks = FaceTasks.All)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        long expected = (long)count * FacePixels.Bytes;
        if (rgb.Length != expected)
        {
            throw new ArgumentException($"Expected {count} faces x 112 x 112 x 3 = {expected} bytes of RGB, got {rgb.Length}.", nameof(rgb));
        }

        // The span cannot be captured by the per-face callback, so the batch goes through one pooled copy.
        byte[] all = ArrayPool<byte>.Shared.Rent((int)expected);
        try
        {
            rgb.CopyTo(all);
            return Run(count, tasks, (i, dst) => all.AsSpan(i * FacePixels.Bytes, FacePixels.Bytes).CopyTo(dst));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(all);
        }
    }

    /// <summary>Frees the ONNX Runtime sessions. Calls in progress on other threads must have returned.</summary>
    public void Dispose()
    {
        if (!_disposed)
        {
            _disposed = true;
            _runner.Dispose();
            _ownedDetector?.Dispose();
            _photos.Dispose();
        }
    }

    private static FaceAnalyzer Create(RandomAccessBytes bytes, string origin, FaceAnalyzerOptions? options) =>
        Create(ModelLoader.Open(bytes, origin), options);

    /// <summary>Creates an analyzer over graphs from anywhere: a model file, or a conversion in progress.</summary>
    internal static FaceAnalyzer Create(IModelGraphs graphs, FaceAnalyzerOptions? options)
    {
        options ??= new FaceAnalyzerOptions();
        options.Validate();
        SessionOptions? owned = null;
        SessionOptions sessionOptions = options.SessionOptions ?? (owned = new SessionOptions
        {
            IntraOpNumThreads = options.IntraOpThreads,
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
        });

        // Threads spin between the operators of a run, which spares each operator a wake-up, and stop
        // spinning as soon as the run returns: twelve sessions run one after another, and the spinning
        // threads of one would otherwise compete for the cores with the next one's (BENCHMARKS.md).
        owned?.AddSessionConfigEntry("session.intra_op.allow_spinning", options.Spinning ? "1" : "0");
        owned?.AddSessionConfigEntry("session.force_spinning_stop", "1");
        IFaceDetector? detector = null;
        ModelRunner? runner = null;
        try
        {
            // Runs of a few faces suit a CPU's caches; with the caller's options (a GPU, say) each batch goes in one run.
            runner = ModelRunner.Open(graphs, sessionOptions, owned is null ? options.MaxBatchSize : options.BackboneChunk);
            detector = options.Detector is not null ? null
                : options.BlazeFace is not null ? BlazeFaceDetector.Create(options.BlazeFace)
                : YuNetDetector.Create(options.YuNet);
            return new FaceAnalyzer(runner, options, detector);
        }
        catch
        {
            runner?.Dispose();
            (detector as IDisposable)?.Dispose();
            throw;
        }
        finally
        {
            owned?.Dispose();
        }
    }

    private static void ValidateTasks(FaceTasks tasks)
    {
        if (tasks == FaceTasks.None || (tasks & ~FaceTasks.All) != 0)
        {
            throw new ArgumentException($"Request at least one defined task; got {tasks}.", nameof(tasks));
        }
    }

    private PhotoAnalysis AnalyzePhoto(Stream stream, string name, FaceTasks tasks, bool includeAlignedFaces)
    {
        ValidateTasks(tasks);
        ObjectDisposedException.ThrowIf(_disposed, this);
        return AnalyzePrepared(Decode(stream, name, null), tasks, includeAlignedFaces);
    }

    /// <summary>Decodes a photo, then detects and aligns its faces, with at most <see cref="FaceAnalyzerOptions.MaxConcurrentPhotos"/> at once.</summary>
    private PreparedPhoto Decode(Stream stream, string name, PhotoAnalysisOptions? options)
    {
        ValueTask<PreparedPhoto> decoded = DecodeAsync(stream, name, options, synchronously: true, CancellationToken.None);
        Debug.Assert(decoded.IsCompleted, "a synchronous decode completes before it returns");
        return decoded.Result;
    }

    /// <summary>
    /// Admits the photo (or refuses it, unread, while the queue is full), waits for a decoding slot, then decodes it.
    /// <paramref name="synchronously"/> waits on the calling thread, so the task is complete when it returns.
    /// </summary>
    private async ValueTask<PreparedPhoto> DecodeAsync(Stream stream, string name, PhotoAnalysisOptions? options, bool synchronously, CancellationToken cancellationToken)
    {
        int ahead = Interlocked.Increment(ref _photosPending) - 1;
        try
        {
            _scheduler.AdmitPhoto(ahead);
            if (synchronously)
            {
                _photos.Wait(cancellationToken);
            }
            else
            {
                await _photos.WaitAsync(cancellationToken).ConfigureAwait(false);
            }

            try
            {
                return DecodeAdmitted(stream, name, options);
            }
            finally
            {
                _photos.Release();
            }
        }
        finally
        {
            Interlocked.Decrement(ref _photosPending);
        }
    }

    private PreparedPhoto DecodeAdmitted(Stream stream, string name, PhotoAnalysisOptions? options)
    {
        DecodedPhoto decoded = _loader.Load(stream, name);
        using Image<Rgb24> photo = decoded.Image;
        return Prepare(photo, decoded.Damage, options);
    }

    private PhotoAnalysis AnalyzePrepared(PreparedPhoto prepared, FaceTasks tasks, bool includeAlignedFaces)
    {
        FaceAnalysis[] analyses = Run(prepared.Crops.Length, tasks, (i, rgb) => prepared.Crops[i].CopyTo(rgb));
        return prepared.Finish(analyses, 0, includeAlignedFaces);
    }

    private FaceAnalysis[] Run(int count, FaceTasks tasks, Action<int, Span<byte>> copyFace)
    {
        ValidateTasks(tasks);
        ObjectDisposedException.ThrowIf(_disposed, this);
        return _scheduler.Run(count, tasks, copyFace);
    }

    private Task<FaceAnalysis[]> RunAsync(int count, FaceTasks tasks, Action<int, Span<byte>> copyFace, CancellationToken cancellationToken)
    {
        ValidateTasks(tasks);
        ObjectDisposedException.ThrowIf(_disposed, this);
        return _scheduler.RunAsync(count, tasks, copyFace, cancellationToken);
    }

    private IEnumerable<PhotoResult> StreamPhotos(IEnumerable<string> paths, FaceTasks tasks, bool includeAlignedFaces)
    {
        var pending = new List<(string Path, PreparedPhoto? Photo, Exception? Error)>();
        int faces = 0;
        foreach (string path in paths)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            try
            {
                if (!File.Exists(path))
                {
                    throw new FileNotFoundException($"Image file not found: {path}", path);
                }

                using FileStream stream = File.OpenRead(path);
                PreparedPhoto prepared = Decode(stream, path, null);
                pending.Add((path, prepared, null));
                faces += prepared.Crops.Length;
            }
            catch (Exception e) when (e is SwinFaceImageException or IOException or UnauthorizedAccessException)
            {
                pending.Add((path, null, e));
            }

            if (faces >= _maxBatch)
            {
                foreach (PhotoResult result in Flush(pending, tasks, includeAlignedFaces))
                {
                    yield return result;
                }

                faces = 0;
            }
        }

        foreach (PhotoResult result in Flush(pending, tasks, includeAlignedFaces))
        {
            yield return result;
        }
    }

    /// <summary>Runs the faces of all pending photos as one request, and turns them into results in order.</summary>
    private List<PhotoResult> Flush(List<(string Path, PreparedPhoto? Photo, Exception? Error)> pending, FaceTasks tasks, bool includeAlignedFaces)
    {
        var crops = pending.Where(p => p.Photo is not null).SelectMany(p => p.Photo!.Crops).ToArray();
        FaceAnalysis[] analyses = Run(crops.Length, tasks, (i, rgb) => crops[i].CopyTo(rgb));
        var results = new List<PhotoResult>(pending.Count);
        int offset = 0;
        foreach ((string path, PreparedPhoto? photo, Exception? error) in pending)
        {
            results.Add(new PhotoResult(path, photo?.Finish(analyses, offset, includeAlignedFaces), error));
            offset += photo?.Crops.Length ?? 0;
        }

        pending.Clear();
        return results;
    }

    /// <summary>Detects and aligns every face of a photo.</summary>
    private PreparedPhoto Prepare(Image<Rgb24> photo, ImageDamage? damage, PhotoAnalysisOptions? options = null)
    {
        IReadOnlyList<FaceDetection> found = _detector.Detect(photo);
        IReadOnlyList<FaceDetection> detections = found;
        if (options is not null && (options.MinFaceSize > 0 || options.MaxFaces < found.Count))
        {
            // Detectors return the strongest first, so the faces kept are the strongest that are large enough.
            detections = [.. found.Where(d => d.Box.Width >= options.MinFaceSize).Take(options.MaxFaces)];
        }

        byte[][] crops = new byte[detections.Count][];
        float[] sizes = new float[detections.Count];
        for (int i = 0; i < detections.Count; i++)
        {
            Matrix3x2 transform = FaceAligner.EstimateTransform(detections[i].Landmarks);
            crops[i] = new byte[FacePixels.Bytes];
            AffineWarp.Warp(photo, transform, crops[i], FaceAligner.Size, FaceAligner.Size);
            sizes[i] = FaceAligner.SourceSize(transform);
        }

        return new PreparedPhoto(photo.Width, photo.Height, detections, crops, sizes, damage, found.Count - detections.Count);
    }

    /// <summary>A photo's faces found and aligned, waiting for the model.</summary>
    private sealed record PreparedPhoto(int Width, int Height, IReadOnlyList<FaceDetection> Detections, byte[][] Crops, float[] Sizes, ImageDamage? Damage, int Skipped)
    {
        public PhotoAnalysis Finish(FaceAnalysis[] analyses, int offset, bool includeAlignedFaces)
        {
            var faces = new PhotoFace[Crops.Length];
            for (int i = 0; i < faces.Length; i++)
            {
                faces[i] = new PhotoFace(Detections[i], Sizes[i], analyses[offset + i], includeAlignedFaces ? Crops[i] : null);
            }

            return new PhotoAnalysis(Width, Height, faces) { Damage = Damage, SkippedFaces = Skipped };
        }
    }
}
