using System.Buffers;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using SwinFace.Imaging;

namespace SwinFace.Detection;

/// <summary>
/// YuNet (libfacedetection, Apache-2.0) on ONNX Runtime: face boxes with both eyes, the nose tip and both
/// mouth corners, the five points of the ArcFace template. The default detector of <see cref="FaceAnalyzer"/>.
/// </summary>
/// <remarks>
/// The photo is shrunk by area averaging, never enlarged, and padded with black to sides that are multiples of
/// 32; the caller's image is not touched. Boxes and points come back in the photo's coordinates. Safe to call
/// from many threads at once.
/// </remarks>
public sealed class YuNetDetector : IFaceDetector, IDisposable
{
    /// <summary>The model's file name.</summary>
    public const string ModelFile = "yunet_s_dynamic.onnx";

    /// <summary>The widest face, in the model's input pixels, kept from a pass that is not the coarsest.</summary>
    internal const float LargestFace = 192f;

    /// <summary>The narrowest face, in the model's input pixels, kept from a pass that is not the finest.</summary>
    internal const float SmallestCoarseFace = 32f;

    /// <summary>The short side, in the model's input pixels, at or below which a pass is the coarsest.</summary>
    internal const float CoarsestSide = 384f;

    /// <summary>The ratio of the scales of two successive passes.</summary>
    internal const float PyramidStep = 3f;

    private static readonly string[] OutputNames = [.. YuNetDecoder.Strides.SelectMany(s => (string[])[$"cls_{s}", $"obj_{s}", $"bbox_{s}", $"kps_{s}"])];
    private static readonly int[] OutputWidths = [1, 1, 4, 10];

    private readonly InferenceSession _session;
    private readonly string _input;
    private readonly YuNetOptions _options;

    private YuNetDetector(InferenceSession session, YuNetOptions options)
    {
        _session = session;
        _input = session.InputMetadata.Keys.First();
        _options = options;
    }

    /// <summary>Loads the YuNet model and checks its input and outputs.</summary>
    /// <param name="options">Options, or <see langword="null"/> for the defaults.</param>
    /// <returns>A detector the caller disposes.</returns>
    /// <exception cref="ArgumentException">An option is out of range.</exception>
    /// <exception cref="FileNotFoundException">The model file is missing.</exception>
    /// <exception cref="SwinFaceModelException">The file is not the YuNet model it should be.</exception>
    public static YuNetDetector Create(YuNetOptions? options = null)
    {
        options ??= new YuNetOptions();
        options.Validate();
        string path = options.ModelPath ?? Path.Combine(AppContext.BaseDirectory, "yunet", ModelFile);
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"YuNet model not found: {path}. Run models/fetch-yunet.sh, or set YuNetOptions.ModelPath.", path);
        }

        using var sessionOptions = new SessionOptions
        {
            IntraOpNumThreads = options.IntraOpThreads,
            LogSeverityLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR,

            // Every photo has its own input size, so a memory plan made for one would not fit the next.
            EnableMemoryPattern = false,
        };

        // Threads spin between operators but stop when a run returns, so that they do not compete with the
        // SwinFace model that runs next.
        sessionOptions.AddSessionConfigEntry("session.intra_op.allow_spinning", options.Spinning ? "1" : "0");
        sessionOptions.AddSessionConfigEntry("session.force_spinning_stop", "1");
        InferenceSession session;
        try
        {
            session = new InferenceSession(path, sessionOptions);
        }
        catch (OnnxRuntimeException e)
        {
            throw new SwinFaceModelException($"{path}: not a valid ONNX model ({e.Message}).", e);
        }

        try
        {
            Check(session, path);
            return new YuNetDetector(session, options);
        }
        catch
        {
            session.Dispose();
            throw;
        }
    }

    /// <inheritdoc />
    /// <remarks>
    /// Every face has both mouth corners (<see cref="FaceLandmarks.HasMouthCorners"/>), so it is aligned by
    /// all five points.
    /// </remarks>
    /// <exception cref="ArgumentNullException"><paramref name="image"/> is <see langword="null"/>.</exception>
    /// <exception cref="ObjectDisposedException">The detector has been disposed.</exception>
    public IReadOnlyList<FaceDetection> Detect(Image<Rgb24> image)
    {
        ArgumentNullException.ThrowIfNull(image);
        var candidates = new List<YuNetCandidate>();
        float[] scales = Scales(image.Width, image.Height, _options.MaxInputPixels, _options.MaxInputSide);
        if (_options.SinglePass)
        {
            scales = scales[..1];
        }

        for (int i = 0; i < scales.Length; i++)
        {
            // A face too large for this pass is left to the next, coarser one: the model breaks faces much wider
            // than LargestFace into fragments. The coarsest pass keeps every face. A coarse pass keeps no face
            // narrower than SmallestCoarseFace: the finer pass before it sees such faces three times as large,
            // where the model is surer, and the coarse pass's own small detections can span two faces.
            float smallest = i == 0 ? 0 : SmallestCoarseFace / scales[i];
            float largest = i < scales.Length - 1 ? LargestFace / scales[i] : float.PositiveInfinity;
            Pass(image, scales[i], smallest, largest, candidates);
        }

        var faces = new List<FaceDetection>();
        foreach (YuNetCandidate c in YuNetDecoder.Suppress(candidates, _options.OverlapThreshold))
        {
            if (c.Width >= _options.MinFaceSize)
            {
                faces.Add(ToDetection(c));
            }
        }

        return faces;
    }

    /// <summary>Frees the ONNX Runtime session.</summary>
    public void Dispose() => _session.Dispose();

    /// <summary>
    /// The scales of the passes over a photo, finest first: the first shrinks the photo to at most
    /// <paramref name="maxPixels"/> (never enlarges it), each next one is a third of the one before, down to the
    /// first whose short side is at most <see cref="CoarsestSide"/>.
    /// </summary>
    internal static float[] Scales(int width, int height, int maxPixels, int maxSide = 0)
    {
        double scale = Math.Min(1.0, Math.Sqrt(maxPixels / ((double)width * height)));
        if (maxSide > 0)
        {
            scale = Math.Min(scale, maxSide / (double)Math.Max(width, height));
        }

        var scales = new List<float> { (float)scale };
        while (Math.Min(width, height) * scale > CoarsestSide)
        {
            scale /= PyramidStep;
            scales.Add((float)scale);
        }

        return [.. scales];
    }

    private static FaceDetection ToDetection(in YuNetCandidate c)
    {
        float[] g = c.Geometry;
        PointF P(int i) => new(g[i], g[i + 1]);
        var landmarks = FaceLandmarks.FromFivePoints(P(4), P(6), P(8), P(10), P(12));
        return new FaceDetection(new RectangleF(g[0], g[1], g[2] - g[0], g[3] - g[1]), landmarks, c.Score);
    }

    private static void Check(InferenceSession session, string path)
    {
        NodeMetadata input = session.InputMetadata.Values.First();
        int[] d = input.Dimensions;
        if (session.InputMetadata.Count != 1 || d.Length != 4 || d[1] != 3 || input.ElementDataType != TensorElementType.Float)
        {
            throw new SwinFaceModelException($"{path}: expected one Float input [batch, 3, height, width] (YuNet), found {Describe(session.InputMetadata)}.");
        }

        for (int i = 0; i < OutputNames.Length; i++)
        {
            int width = OutputWidths[i % 4];
            if (!session.OutputMetadata.TryGetValue(OutputNames[i], out NodeMetadata? meta) || meta.Dimensions.Length != 3 || meta.Dimensions[2] != width || meta.ElementDataType != TensorElementType.Float)
            {
                throw new SwinFaceModelException($"{path}: expected YuNet's output '{OutputNames[i]}' Float [batch, cells, {width}], found outputs {Describe(session.OutputMetadata)}.");
            }
        }
    }

    private static string Describe(IReadOnlyDictionary<string, NodeMetadata> metadata) =>
        string.Join(", ", metadata.Select(kv => $"{kv.Key} {kv.Value.ElementDataType} [{string.Join(", ", kv.Value.Dimensions)}]"));

    /// <summary>
    /// Runs the model once on the photo shrunk by <paramref name="scale"/>; adds the candidates
    /// <paramref name="smallest"/> to <paramref name="largest"/> photo pixels wide, in photo pixels.
    /// </summary>
    private void Pass(Image<Rgb24> image, float scale, float smallest, float largest, List<YuNetCandidate> output)
    {
        int w = Math.Max(1, (int)MathF.Round(image.Width * scale)), h = Math.Max(1, (int)MathF.Round(image.Height * scale));
        int paddedW = (w + 31) / 32 * 32, paddedH = (h + 31) / 32 * 32;
        int plane = paddedW * paddedH;
        float[] input = ArrayPool<float>.Shared.Rent(3 * plane);
        var found = new List<YuNetCandidate>();
        try
        {
            AreaResize.ShrinkToPlanarBgr(image, w, h, input, paddedW, paddedH);
            for (int c = 0; c < 3; c++)
            {
                // Black padding right of and below the photo.
                for (int y = 0; y < h; y++)
                {
                    Array.Clear(input, (c * plane) + (y * paddedW) + w, paddedW - w);
                }

                Array.Clear(input, (c * plane) + (h * paddedW), (paddedH - h) * paddedW);
            }

            using OrtValue value = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, input.AsMemory(0, 3 * plane), [1, 3, paddedH, paddedW]);
            using var runOptions = new RunOptions();
            using IDisposableReadOnlyCollection<OrtValue> results = _session.Run(runOptions, [_input], [value], OutputNames);
            for (int i = 0; i < YuNetDecoder.Strides.Length; i++)
            {
                int s = YuNetDecoder.Strides[i];
                YuNetDecoder.DecodeGrid(
                    results[4 * i].GetTensorDataAsSpan<float>(),
                    results[(4 * i) + 1].GetTensorDataAsSpan<float>(),
                    results[(4 * i) + 2].GetTensorDataAsSpan<float>(),
                    results[(4 * i) + 3].GetTensorDataAsSpan<float>(),
                    paddedH / s,
                    paddedW / s,
                    s,
                    _options.ScoreThreshold,
                    found);
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(input);
        }

        // Input pixels to photo pixels. Both take (0, 0) at the centre of the top-left pixel, as OpenCV does.
        float sx = image.Width / (float)w, sy = image.Height / (float)h;
        foreach (YuNetCandidate c in found)
        {
            float[] g = c.Geometry;
            for (int k = 0; k < YuNetCandidate.Values; k += 2)
            {
                g[k] = ((g[k] + 0.5f) * sx) - 0.5f;
                g[k + 1] = ((g[k + 1] + 0.5f) * sy) - 0.5f;
            }

            if (c.Width >= smallest && c.Width <= largest)
            {
                output.Add(c);
            }
        }
    }
}
