using Microsoft.ML.OnnxRuntime;
using SwinFace.Detection;

namespace SwinFace;

/// <summary>Options for <see cref="FaceAnalyzer.Create(string, FaceAnalyzerOptions?)"/>. Validated once, when the analyzer is created.</summary>
public sealed class FaceAnalyzerOptions
{
    /// <summary>
    /// Gets the number of threads ONNX Runtime uses inside one model run. The default, 0, lets ONNX
    /// Runtime choose (one per physical core). Ignored when <see cref="SessionOptions"/> is set.
    /// </summary>
    public int IntraOpThreads { get; init; }

    /// <summary>
    /// Gets the most faces sent to the model in one run; larger batches are split. The default is 32.
    /// Smaller values lower peak memory, larger ones rarely add speed on a CPU.
    /// </summary>
    public int MaxBatchSize { get; init; } = 32;

    /// <summary>
    /// Gets ONNX Runtime session options to use instead of the analyzer's own, for example to add an
    /// execution provider such as CUDA. The caller keeps ownership: the analyzer never disposes them, and
    /// they may be disposed once <see cref="FaceAnalyzer.Create(string, FaceAnalyzerOptions?)"/> returns.
    /// The default is <see langword="null"/>. The analyzer's own options let threads spin only while a run
    /// lasts (<c>session.intra_op.allow_spinning</c> = 1 with <c>session.force_spinning_stop</c> = 1),
    /// which matters on CPUs because the model runs as twelve sessions in turn; consider the same for yours.
    /// With the analyzer's own options the backbone takes 4 faces a run, which suits a CPU's caches; with
    /// yours, each batch goes through it in one run.
    /// </summary>
    public SessionOptions? SessionOptions { get; init; }

    /// <summary>
    /// Gets the face detector for photos. The caller keeps ownership. The default, <see langword="null"/>,
    /// makes the analyzer create and own a <see cref="YuNetDetector"/> with <see cref="YuNet"/>, or a
    /// <see cref="BlazeFaceDetector"/> when <see cref="BlazeFace"/> is set.
    /// </summary>
    /// <remarks>
    /// Faces with both mouth corners (<see cref="FaceLandmarks.HasMouthCorners"/>, as from YuNet) are aligned by
    /// five points, as the model's training data was; faces without them by four (<see cref="Alignment.FaceAligner"/>).
    /// </remarks>
    public IFaceDetector? Detector { get; init; }

    /// <summary>
    /// Gets the options of the default detector, YuNet, used when neither <see cref="Detector"/> nor
    /// <see cref="BlazeFace"/> is set. The default, <see langword="null"/>, means <c>new YuNetOptions()</c>.
    /// </summary>
    public YuNetOptions? YuNet { get; init; }

    /// <summary>
    /// Gets options that make the analyzer create and own a <see cref="BlazeFaceDetector"/> instead of YuNet. The
    /// default is <see langword="null"/>: YuNet. BlazeFace is faster on large photos but finds fewer faces, and it
    /// gives no mouth corners, so its faces are aligned by four points (BENCHMARKS.md compares the two).
    /// </summary>
    public BlazeFaceOptions? BlazeFace { get; init; }

    /// <summary>
    /// Gets the largest photo accepted, in pixels (width x height), checked from the file's header before
    /// decoding; the decoder's memory is capped to match. The default is 100,000,000 (100 megapixels).
    /// </summary>
    /// <remarks>
    /// Decoding takes time for every pixel a header declares, whatever the file holds, so a service should set
    /// this to the largest photo it needs. A JPEG, PNG, GIF or WebP file that declares more pixels than its bytes
    /// can hold (four times what the format's best compression reaches) is cut short or made to be slow to decode:
    /// it is refused before it is decoded, even with <see cref="AnalyzeDamagedPhotos"/>.
    /// </remarks>
    public long MaxImagePixels { get; init; } = 100_000_000;

    /// <summary>
    /// Gets a value indicating whether photos that decode but are damaged are analysed. The default,
    /// <see langword="false"/>, refuses them with a <see cref="SwinFaceImageException"/> that says what is wrong.
    /// </summary>
    /// <remarks>
    /// <para>
    /// A photo is damaged when its file ends before its format's end (a JPEG without its end marker, a PNG
    /// without its IEND chunk, a GIF without its trailer, a WebP or BMP shorter than its header says), or when
    /// libjpeg-turbo had to skip or make up data. Decoders fill in what is missing with one colour, so such a
    /// photo decodes to the right size with part of it blank, and without this check a JPEG cut off after
    /// 20 KB comes back as a photo with no faces.
    /// </para>
    /// <para>
    /// Refusing is the default because a result on made-up pixels looks like any other: faces in the missing
    /// part are not found, and a face cut by the end of the data gets the outputs of a half-blank face. Set
    /// this to <see langword="true"/> to analyse what was decoded, as a viewer shows a partial image: the
    /// result then carries <see cref="PhotoAnalysis.Damage"/>, with how many rows hold image data.
    /// </para>
    /// </remarks>
    public bool AnalyzeDamagedPhotos { get; init; }

    /// <summary>
    /// Gets the most faces that may wait for the model at once, over all callers. A photo waiting to be decoded
    /// counts as one face until its faces are found. A call that would queue more is refused at once with a
    /// <see cref="SwinFaceBusyException"/>, before its photo is decoded where it can be, so that a flood of requests
    /// cannot grow memory or waste the cores on work that will be refused; a call alone is never refused, however
    /// many faces it brings. The default, <see cref="int.MaxValue"/>, queues every call. Faces already in a model
    /// run do not count.
    /// </summary>
    public int MaxQueuedFaces { get; init; } = int.MaxValue;

    /// <summary>
    /// Gets the most photos decoded and searched for faces at once, over all callers; more wait their turn.
    /// A decoded photo takes 3 bytes a pixel (300 MB at <see cref="MaxImagePixels"/>' default) until its faces
    /// are cut out, so this bounds the memory that many concurrent callers can take. The default is the number
    /// of processors, beyond which decoding goes no faster.
    /// </summary>
    public int MaxConcurrentPhotos { get; init; } = Environment.ProcessorCount;

    /// <summary>Gets the faces per backbone run; internal, so the benchmarks can compare settings.</summary>
    internal int BackboneChunk { get; init; } = Inference.ModelRunner.DefaultBackboneChunk;

    /// <summary>Gets whether the analyzer's own session options let threads spin while a run lasts; internal, for the benchmarks.</summary>
    internal bool Spinning { get; init; } = true;

    internal void Validate()
    {
        if ((Detector is null ? 0 : 1) + (YuNet is null ? 0 : 1) + (BlazeFace is null ? 0 : 1) > 1)
        {
            throw new ArgumentException("Set at most one of Detector, YuNet and BlazeFace: they choose the same detector.", nameof(Detector));
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(MaxImagePixels, 1, nameof(MaxImagePixels));
        ArgumentOutOfRangeException.ThrowIfNegative(IntraOpThreads, nameof(IntraOpThreads));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxBatchSize, 1, nameof(MaxBatchSize));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxQueuedFaces, 1, nameof(MaxQueuedFaces));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxConcurrentPhotos, 1, nameof(MaxConcurrentPhotos));
        ArgumentOutOfRangeException.ThrowIfLessThan(BackboneChunk, 1, nameof(BackboneChunk));
    }
}
