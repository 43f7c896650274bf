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
/// <see cref="FaceAnalyzer.AnalyzePhoto(byte[], FaceTasks, bool)"/>, and each stage alone, rebuilt from the public API.
/// </summary>
/// <remarks>Times are per photo. Each stage starts from the output of the one before, computed once in setup.</remarks>
public class PhotoBenchmarks : IDisposable
{
    private FaceAnalyzer? _analyzer;
    private BlazeFaceDetector? _detector;
    private byte[] _photo = [];
    private Image<Rgb24>? _decoded;
    private IReadOnlyList<FaceDetection> _detections = [];
    private Image<Rgb24>[] _crops = [];

    /// <summary>Loads the model and the detector, reads the photo, and runs each stage once for the next one's input.</summary>
    [GlobalSetup]
    public void Setup()
    {
        int threads = BenchmarkEnvironment.Threads();
        var blazeFace = new BlazeFaceOptions { IntraOpThreads = threads };
        _analyzer = FaceAnalyzer.Create(BenchmarkEnvironment.ModelPath(), new FaceAnalyzerOptions { IntraOpThreads = threads, BlazeFace = blazeFace });
        _detector = BlazeFaceDetector.Create(blazeFace);
        string path = BenchmarkEnvironment.PhotoPath();
        _photo = File.ReadAllBytes(path);
        _decoded = DecodePhoto();
        _detections = _detector.Detect(_decoded);
        if (_detections.Count == 0)
        {
            throw new InvalidOperationException($"BlazeFace finds no face in {path}; the photo benchmarks need a photo with faces.");
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

    /// <summary>Runs BlazeFace (both models) on the decoded photo.</summary>
    /// <returns>The detections.</returns>
    [Benchmark]
    public IReadOnlyList<FaceDetection> Detect() => Detector.Detect(Decoded);

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
        _detector?.Dispose();
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

    private BlazeFaceDetector Detector => _detector ?? throw NotSetUp();

    private Image<Rgb24> Decoded => _decoded ?? throw NotSetUp();

    private static InvalidOperationException NotSetUp() => new("The benchmark has not been set up.");

    private Image<Rgb24> DecodePhoto()
    {
        return ImageFile.Load(_photo);
    }
}
