using BenchmarkDotNet.Attributes;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing;
using SwinFace.Alignment;
using SwinFace.Analysis;
using SwinFace.Detection;
using SwinFace.Imaging;

namespace SwinFace.Benchmarks;

/// <summary>
/// The photo pipeline on one photo (three faces by default): end to end through
/// <see cref="FaceAnalyzer.AnalyzePhoto(byte[], FaceTasks, bool)"/>, and each stage alone, rebuilt from the public API,
/// with YuNet (the default detector) and with BlazeFace.
/// </summary>
/// <remarks>Times are per photo. Each stage starts from the output of the one before, computed once in setup.</remarks>
public class PhotoBenchmarks : IDisposable
{
    private FaceAnalyzer? _analyzer;
    private IFaceDetector? _detector;
    private byte[] _photo = [];
    private Image<Rgb24>? _decoded;
    private IReadOnlyList<FaceDetection> _detections = [];
    private Image<Rgb24>[] _crops = [];

    /// <summary>Gets or sets the detector: <c>YuNet</c> (the default of <see cref="FaceAnalyzer"/>) or <c>BlazeFace</c>.</summary>
    [Params("YuNet", "BlazeFace")]
    public string Detector { get; set; } = "YuNet";

    /// <summary>Loads the model and the detector, reads the photo, and runs each stage once for the next one's input.</summary>
    [GlobalSetup]
    public void Setup()
    {
        int threads = BenchmarkEnvironment.Threads();
        _detector = Detector == "BlazeFace"
            ? BlazeFaceDetector.Create(new BlazeFaceOptions { IntraOpThreads = threads })
            : YuNetDetector.Create(new YuNetOptions { IntraOpThreads = threads });
        _analyzer = FaceAnalyzer.Create(BenchmarkEnvironment.ModelPath(), new FaceAnalyzerOptions { IntraOpThreads = threads, Detector = _detector });
        string path = BenchmarkEnvironment.PhotoPath();
        _photo = File.ReadAllBytes(path);
        _decoded = DecodePhoto();
        _detections = _detector.Detect(_decoded);
        if (_detections.Count == 0)
        {
            throw new InvalidOperationException($"{Detector} finds no face in {path}; the photo benchmarks need a photo with faces.");
        }

        _crops = [.. _detections.Select(d => FaceAligner.Align(_decoded, d.Landmarks))];
        Console.WriteLine($"// Photo {path}: {_decoded.Width} x {_decoded.Height}, {_detections.Count} faces");
    }

    /// <summary>Decode, detect, align and analyse: what a caller of <c>AnalyzePhoto</c> waits for.</summary>
    /// <returns>The analysis.</returns>
    [Benchmark]
    public PhotoAnalysis EndToEnd() => Analyzer.AnalyzePhoto(_photo);

    /// <summary>Decodes the JPEG and applies its EXIF orientation.</summary>
    /// <returns>The decoded width.</returns>
    [Benchmark]
    public int Decode()
    {
        using Image<Rgb24> image = DecodePhoto();
        return image.Width;
    }

    /// <summary>Runs the detector on the decoded photo.</summary>
    /// <returns>The detections.</returns>
    [Benchmark]
    public IReadOnlyList<FaceDetection> Detect() => FaceDetector.Detect(Decoded);

    /// <summary>Cuts every detected face out of the photo as an aligned 112 x 112 crop.</summary>
    /// <returns>The number of crops.</returns>
    [Benchmark]
    public int Align()
    {
        foreach (FaceDetection detection in _detections)
        {
            using Image<Rgb24> crop = FaceAligner.Align(Decoded, detection.Landmarks);
        }

        return _detections.Count;
    }

    /// <summary>Analyses the aligned crops (every task) in one batch.</summary>
    /// <returns>The analyses.</returns>
    [Benchmark]
    public IReadOnlyList<FaceAnalysis> Analyse() => Analyzer.Analyze(_crops, FaceTasks.All);

    /// <summary>Frees the model, the detector and the images.</summary>
    [GlobalCleanup]
    public void Dispose()
    {
        _analyzer?.Dispose();
        _analyzer = null;
        (_detector as IDisposable)?.Dispose();
        _detector = null;
        _decoded?.Dispose();
        _decoded = null;
        foreach (Image<Rgb24> crop in _crops)
        {
            crop.Dispose();
        }

        _crops = [];
        GC.SuppressFinalize(this);
    }

    private FaceAnalyzer Analyzer => _analyzer ?? throw NotSetUp();

    private IFaceDetector FaceDetector => _detector ?? throw NotSetUp();

    private Image<Rgb24> Decoded => _decoded ?? throw NotSetUp();

    private static InvalidOperationException NotSetUp() => new("The benchmark has not been set up.");

    private Image<Rgb24> DecodePhoto()
    {
        return ImageFile.Load(_photo);
    }
}
