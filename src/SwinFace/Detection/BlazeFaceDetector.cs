using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing;
using SwinFace.Imaging;

namespace SwinFace.Detection;

/// <summary>
/// MediaPipe BlazeFace (Apache-2.0) on ONNX Runtime: face boxes with eyes, nose tip, mouth centre and ears.
/// The detector before <see cref="YuNetDetector"/>: choose it with <see cref="FaceAnalyzerOptions.BlazeFace"/>.
/// </summary>
/// <remarks>
/// It gives no mouth corners, so its faces are aligned by four points (<see cref="Alignment.FaceAligner"/>), and it
/// finds fewer faces in group photos than YuNet (BENCHMARKS.md, "Face detection").
/// The photo is letterboxed to a square (black borders) and shrunk to the model's input by area averaging.
/// By default the full-range model (256) runs first; when it finds no face, or a face at least a fifth of
/// the photo's longer side, the short-range model (128) runs too and the detections of both are merged by
/// MediaPipe's weighted non-maximum suppression. So close-ups get both models, and group photos, whose
/// small faces the short-range model cannot see, get the full-range one alone. Safe to call from many
/// threads at once.
/// </remarks>
public sealed class BlazeFaceDetector : IFaceDetector, IDisposable
{
    /// <summary>The short-range model's file name.</summary>
    public const string ShortRangeFile = "face_detection_front_128x128_barracuda.onnx";

    /// <summary>The full-range model's file name.</summary>
    public const string FullRangeFile = "face_detection_back_256x256_barracuda.onnx";

    /// <summary>A face at least this fraction of the photo's longer side makes the short-range model run too.</summary>
    private const float CloseUpFraction = 0.2f;

    private readonly Model[] _models;
    private readonly BlazeFaceOptions _options;

    private BlazeFaceDetector(Model[] models, BlazeFaceOptions options)
    {
        _models = models;
        _options = options;
    }

    /// <summary>Loads the BlazeFace models and checks their inputs and outputs.</summary>
    /// <param name="options">Options, or <see langword="null"/> for the defaults.</param>
    /// <returns>A detector the caller disposes.</returns>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range.</exception>
    /// <exception cref="FileNotFoundException">A model file is missing from the model folder.</exception>
    /// <exception cref="SwinFaceModelException">A model file is not the BlazeFace model it should be.</exception>
    public static BlazeFaceDetector Create(BlazeFaceOptions? options = null)
    {
        options ??= new BlazeFaceOptions();
        options.Validate();
        string dir = options.ModelDirectory ?? Path.Combine(AppContext.BaseDirectory, "blazeface");
        var models = new List<Model>();
        try
        {
            // BlazeFace graphs carry unused initializers that ONNX Runtime reports as warnings; they are harmless.
            using var sessionOptions = new SessionOptions { IntraOpNumThreads = options.IntraOpThreads, LogSeverityLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR };

            // Threads spin between operators but stop when a run returns: spinning threads left behind by a
            // detection would compete with the SwinFace model that runs next.
            sessionOptions.AddSessionConfigEntry("session.intra_op.allow_spinning", options.Spinning ? "1" : "0");
            sessionOptions.AddSessionConfigEntry("session.force_spinning_stop", "1");
            if (options.Models.HasFlag(BlazeFaceModels.ShortRange))
            {
                models.Add(Model.Load(Path.Combine(dir, ShortRangeFile), 128, sessionOptions));
            }

            if (options.Models.HasFlag(BlazeFaceModels.FullRange))
            {
                models.Add(Model.Load(Path.Combine(dir, FullRangeFile), 256, sessionOptions));
            }

            return new BlazeFaceDetector([.. models], options);
        }
        catch
        {
            models.ForEach(m => m.Dispose());
            throw;
        }
    }

    /// <inheritdoc />
    /// <exception cref="ArgumentNullException"><paramref name="image"/> is <see langword="null"/>.</exception>
    /// <exception cref="ObjectDisposedException">The detector has been disposed.</exception>
    public IReadOnlyList<FaceDetection> Detect(Image<Rgb24> image)
    {
        ArgumentNullException.ThrowIfNull(image);
        var candidates = new List<Candidate>();
        if (_models.Length == 1)
        {
            _models[0].Detect(image, _options.ScoreThreshold, candidates);
        }
        else
        {
            // Full range first. The short-range model adds nothing for the small faces of a group photo,
            // so it runs only when there may be a close-up: no face found, or a large one.
            Model shortRange = _models[0], fullRange = _models[1];
            fullRange.Detect(image, _options.ScoreThreshold, candidates);
            float largest = candidates.Count == 0 ? 0 : candidates.Max(c => c.Geometry[2]);
            if (candidates.Count == 0 || largest >= CloseUpFraction * Math.Max(image.Width, image.Height))
            {
                shortRange.Detect(image, _options.ScoreThreshold, candidates);
            }
        }

        var faces = new List<FaceDetection>();
        foreach (Candidate c in BlazeFaceDecoder.WeightedNms(candidates, _options.OverlapThreshold))
        {
            if (c.Geometry[2] >= _options.MinFaceSize)
            {
                faces.Add(ToDetection(c));
            }
        }

        return faces;
    }

    /// <summary>Frees the ONNX Runtime sessions.</summary>
    public void Dispose()
    {
        foreach (Model m in _models)
        {
            m.Dispose();
        }
    }

    private static FaceDetection ToDetection(in Candidate c)
    {
        float[] g = c.Geometry;

        // Decoded coordinates put (0, 0) at the image's top-left corner; the public convention puts it
        // at the centre of the top-left pixel, half a pixel further.
        PointF P(int i) => new(g[i] - 0.5f, g[i + 1] - 0.5f);

        // BlazeFace names the subject's sides: the subject's right eye is on the image's left.
        var landmarks = FaceLandmarks.FromMouthCenter(P(4), P(6), P(8), P(10), P(12), P(14));
        var box = new RectangleF(g[0] - (g[2] / 2) - 0.5f, g[1] - (g[3] / 2) - 0.5f, g[2], g[3]);
        return new FaceDetection(box, landmarks, c.Score);
    }

    /// <summary>One BlazeFace network: its session, input size, and the letterbox around it.</summary>
    private sealed class Model : IDisposable
    {
        private static readonly string[] Outputs = ["Identity:0", "Identity_1:0", "Identity_2:0", "Identity_3:0"];
        private readonly InferenceSession _session;
        private readonly int _size;
        private readonly string _input;

        private Model(InferenceSession session, int size)
        {
            _session = session;
            _size = size;
            _input = session.InputMetadata.Keys.First();
        }

        public static Model Load(string path, int size, SessionOptions options)
        {
            if (!File.Exists(path))
            {
                throw new FileNotFoundException($"BlazeFace model not found: {path}. Run models/fetch-blazeface.sh, or set BlazeFaceOptions.ModelDirectory.", path);
            }

            InferenceSession session = DetectorSettings.OpenSession(path, options);

            try
            {
                Check(session, path, size);
                return new Model(session, size);
            }
            catch
            {
                session.Dispose();
                throw;
            }
        }

        public void Detect(Image<Rgb24> image, float threshold, List<Candidate> output)
        {
            int n = _size;
            float s = (float)n / Math.Max(image.Width, image.Height);
            int w = Math.Max(1, (int)MathF.Round(image.Width * s)), h = Math.Max(1, (int)MathF.Round(image.Height * s));
            int ox = (n - w) / 2, oy = (n - h) / 2;
            float[] input = new float[n * n * 3];
            Array.Fill(input, -1f);
            if (w <= image.Width && h <= image.Height)
            {
                AreaResize.Shrink(image, w, h, input, n, ox, oy, 1f / 127.5f, -1f);
            }
            else
            {
                // A photo smaller than the model's input is enlarged (rare, and small, so the cost is no matter).
                using Image<Rgb24> large = image.Clone(x => x.Resize(w, h, KnownResamplers.Triangle));
                AreaResize.Shrink(large, w, h, input, n, ox, oy, 1f / 127.5f, -1f);
            }

            using OrtValue value = OrtValue.CreateTensorValueFromMemory(input, [1, n, n, 3]);
            using var runOptions = new RunOptions();
            using IDisposableReadOnlyCollection<OrtValue> results = _session.Run(runOptions, [_input], [value], Outputs);

            // Normalised model coordinates -> image pixels, undoing the letterbox.
            float sx = image.Width / (float)w, sy = image.Height / (float)h;
            (float, float) ToImage(float u, float v) => (((u * n) - ox) * sx, ((v * n) - oy) * sy);
            float scale = n * sx;
            BlazeFaceDecoder.DecodeLayer(results[0].GetTensorDataAsSpan<float>(), results[2].GetTensorDataAsSpan<float>(), 16, 2, n, threshold, ToImage, scale, output);
            BlazeFaceDecoder.DecodeLayer(results[1].GetTensorDataAsSpan<float>(), results[3].GetTensorDataAsSpan<float>(), 8, 6, n, threshold, ToImage, scale, output);
        }

        public void Dispose() => _session.Dispose();

        private static void Check(InferenceSession session, string path, int size)
        {
            int[] expectedInput = [1, size, size, 3];
            NodeMetadata input = session.InputMetadata.Values.First();
            if (session.InputMetadata.Count != 1 || !input.Dimensions.SequenceEqual(expectedInput) || input.ElementDataType != TensorElementType.Float)
            {
                throw new SwinFaceModelException($"{path}: expected one Float input [1, {size}, {size}, 3], found {string.Join(", ", session.InputMetadata.Select(kv => $"{kv.Key} [{string.Join(", ", kv.Value.Dimensions)}]"))}.");
            }

            int[][] shapes = [[1, 512, 1], [1, 384, 1], [1, 512, 16], [1, 384, 16]];
            for (int i = 0; i < Outputs.Length; i++)
            {
                if (!session.OutputMetadata.TryGetValue(Outputs[i], out NodeMetadata? meta) || !meta.Dimensions.SequenceEqual(shapes[i]))
                {
                    throw new SwinFaceModelException($"{path}: expected output '{Outputs[i]}' [{string.Join(", ", shapes[i])}], found outputs {string.Join(", ", session.OutputMetadata.Select(kv => $"{kv.Key} [{string.Join(", ", kv.Value.Dimensions)}]"))}.");
                }
            }
        }
    }
}
