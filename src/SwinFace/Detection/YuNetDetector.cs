using System.Buffers;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using SwinFace.Imaging;

namespace SwinFace.Detection;

/// <summary>
/// YuNet (libfacedetection, Apache-2.0; the <c>yunet_n</c> model) on ONNX Runtime: face boxes with both eyes, the
/// nose tip and both mouth corners, the five points of the ArcFace template. The default detector of
/// <see cref="FaceAnalyzer"/>.
/// </summary>
/// <remarks>
/// <para>
/// The model sees a photo of up to half a megapixel whole, and a larger one shrunk to a fifth of its pixels (at
/// least 0.5, at most 4 megapixels), by area averaging, padded with black to sides that are multiples of 32.
/// Coarser passes, each at a third of the scale of the one before, find the faces too large for that view (the
/// model breaks faces much wider than about 200 of its pixels into pieces). Where the first pass sees small faces,
/// the region around them is looked at again at a finer scale, at most the photo's own pixels and 4 megapixels:
/// so the small faces of a group photo are found, and photos without them cost one pass. Every pass sees at most
/// 4 megapixels, whatever the photo's size. The candidates of all passes are merged by non-maximum suppression.
/// </para>
/// <para>
/// In a photo the model sees whole, faces about 32 px wide (brow to chin) are found; in a 10-megapixel photo,
/// 48 px; in a 100-megapixel one, 200 px (BENCHMARKS.md, "Face detection"). The caller's image is never modified;
/// boxes and points come back in its pixels, (0, 0) being the centre of the top-left pixel. Safe to call from many
/// threads at once.
/// </para>
/// </remarks>
public sealed class YuNetDetector : IFaceDetector, IDisposable
{
    /// <summary>The model's file name.</summary>
    public const string ModelFile = "yunet_n_dynamic.onnx";

    /// <summary>The widest face, in the model's input pixels, kept from a pass that is not the coarsest.</summary>
    internal const float LargestFace = 192f;

    /// <summary>The narrowest face, in the model's input pixels, kept from a pass that is not the finest.</summary>
    internal const float SmallestCoarseFace = 32f;

    /// <summary>The short side, in the model's input pixels, at or below which a pass is the coarsest.</summary>
    internal const float CoarsestSide = 384f;

    /// <summary>The ratio of the scales of two successive passes.</summary>
    internal const float PyramidStep = 3f;

    /// <summary>
    /// A face narrower than this, in the first pass's input pixels, is small: the model finds only some faces of that
    /// size (measured on synthetic group photos), so its region is looked at again at a finer scale.
    /// </summary>
    internal const float SmallFace = 40f;

    /// <summary>The lowest score of a small candidate that makes its region looked at again; it need not be a face.</summary>
    internal const float HintThreshold = 0.3f;

    /// <summary>The least ratio of the refinement's scale to the first pass's that is worth a pass.</summary>
    internal const float RefineStep = 1.25f;

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
        InferenceSession session = DetectorSettings.OpenSession(path, sessionOptions);

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
        var hints = new List<YuNetCandidate>();
        long pixels = (long)image.Width * image.Height;
        int budget = (int)Math.Clamp(pixels * _options.InputFraction, _options.MinInputPixels, _options.MaxInputPixels);
        float[] scales = Scales(image.Width, image.Height, budget, _options.MaxInputSide);
        if (_options.SinglePass)
        {
            scales = scales[..1];
        }

        // The first pass's input, the photo shrunk once; the coarser passes shrink that input further, so the
        // photo's pixels are read once whatever the number of passes.
        using (Input first = Input.Of(image, image.Bounds(), scales[0]))
        {
            bool shrunk = first.Width < image.Width || first.Height < image.Height;
            List<YuNetCandidate>? small = shrunk && !_options.SinglePass ? hints : null;
            Collect(Run(first, small is not null), first, image, image.Bounds(), 0, scales.Length > 1 ? LargestFace : float.PositiveInfinity, candidates, small);
            for (int i = 1; i < scales.Length; i++)
            {
                // A face too large for a pass is left to the next, coarser one: the model breaks faces much wider
                // than LargestFace into fragments. The coarsest pass keeps every face. A coarse pass keeps no face
                // narrower than SmallestCoarseFace: the finer pass before it sees such faces three times as large,
                // where the model is surer, and the coarse pass's own small detections can span two faces.
                using Input coarse = first.Shrink(scales[i] / scales[0]);
                Collect(Run(coarse, false), coarse, image, image.Bounds(), SmallestCoarseFace, i < scales.Length - 1 ? LargestFace : float.PositiveInfinity, candidates, null);
            }
        }

        if (hints.Count > 0 && _options.Refines)
        {
            Refine(image, scales[0], hints, candidates);
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

        scale = Fit(width, height, (float)scale, 2L * maxPixels);
        var scales = new List<float> { (float)scale };
        while (Math.Min(width, height) * scale > CoarsestSide)
        {
            scale /= PyramidStep;
            scales.Add((float)scale);
        }

        return [.. scales];
    }

    /// <summary>
    /// The largest scale, at most <paramref name="scale"/>, at which the input of a <paramref name="width"/> x
    /// <paramref name="height"/> region, padded to multiples of 32, holds at most <paramref name="maxPixels"/>. Padding
    /// matters only for very thin regions: a photo 1 px wide and 100,000,000 tall would otherwise make an input of
    /// 32 x 20,000,000 at the scale its pixel count suggests.
    /// </summary>
    internal static float Fit(int width, int height, float scale, long maxPixels)
    {
        long Padded(double s) => (long)Pad(Side(width, s)) * Pad(Side(height, s));
        if (Padded(scale) <= maxPixels)
        {
            return scale;
        }

        // The padded size only grows with the scale: bisect.
        double low = 0, high = scale;
        for (int i = 0; i < 40; i++)
        {
            double mid = (low + high) / 2;
            (low, high) = Padded(mid) <= maxPixels ? (mid, high) : (low, mid);
        }

        // The scale goes on as a float: step down past any rounding up.
        float fitted = (float)low;
        while (fitted > 0 && Padded(fitted) > maxPixels)
        {
            fitted = MathF.BitDecrement(fitted);
        }

        return Math.Max(fitted, 1e-9f);
    }

    /// <summary>A side of the model's input: the side shrunk by the scale, at least 1 and never enlarged.</summary>
    internal static int Side(int side, double scale) => (int)Math.Clamp(Math.Round(side * scale), 1, side);

    private static int Pad(int side) => (side + 31) / 32 * 32;

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
    /// The second look at the regions where the first pass saw small faces: the region around them, at a finer
    /// scale, so that the faces beside them that were too small to be found are found too.
    /// </summary>
    private void Refine(Image<Rgb24> image, float scale, List<YuNetCandidate> hints, List<YuNetCandidate> output)
    {
        // Around the small faces, as far again as the largest of them is wide: the rest of a group photo's row.
        float margin = hints.Max(h => h.Width);
        float left = hints.Min(h => h.Geometry[0]) - margin, top = hints.Min(h => h.Geometry[1]) - margin;
        float right = hints.Max(h => h.Geometry[2]) + margin, bottom = hints.Max(h => h.Geometry[3]) + margin;
        var region = Rectangle.Intersect(image.Bounds(), Rectangle.FromLTRB((int)MathF.Floor(left), (int)MathF.Floor(top), (int)MathF.Ceiling(right), (int)MathF.Ceiling(bottom)));

        // Fine enough that the smallest face seen becomes SmallFace wide, at least twice the first pass's scale, at
        // most the photo's own pixels and the refinement's pixel budget.
        float smallest = hints.Min(h => h.Width) * scale;
        double fine = Math.Min(1.0, scale * Math.Max(2.0, SmallFace / Math.Max(1f, smallest)));
        fine = Math.Min(fine, Math.Sqrt(_options.MaxRefinePixels / ((double)region.Width * region.Height)));
        fine = Fit(region.Width, region.Height, (float)fine, 2L * _options.MaxRefinePixels);
        if (fine >= RefineStep * scale && region.Width >= 32 && region.Height >= 32)
        {
            using Input input = Input.Of(image, region, (float)fine);
            Collect(Run(input, false), input, image, region, 0, LargestFace, output, null);
        }
    }

    /// <summary>Runs the model on one input: the candidates that score at least the threshold (or the hint threshold, when <paramref name="hints"/>), in input pixels.</summary>
    private List<YuNetCandidate> Run(Input input, bool hints)
    {
        var found = new List<YuNetCandidate>();
        using OrtValue value = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, input.Planes.AsMemory(0, 3 * input.PaddedWidth * input.PaddedHeight), [1, 3, input.PaddedHeight, input.PaddedWidth]);
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
                input.PaddedHeight / s,
                input.PaddedWidth / s,
                s,
                hints ? Math.Min(_options.ScoreThreshold, HintThreshold) : _options.ScoreThreshold,
                found);
        }

        return found;
    }

    /// <summary>
    /// Maps the candidates of an input of the <paramref name="region"/> of the photo into the photo's pixels, and adds
    /// those that score at least the threshold and are <paramref name="smallest"/> to <paramref name="largest"/> of
    /// the input's pixels wide. Of a region inside the photo, candidates that touch its inner edges are left out: they
    /// may be cut faces. With <paramref name="hints"/>, also collects the candidates narrower than
    /// <see cref="SmallFace"/> input pixels that score at least <see cref="HintThreshold"/>.
    /// </summary>
    private void Collect(List<YuNetCandidate> found, Input input, Image<Rgb24> image, Rectangle region, float smallest, float largest, List<YuNetCandidate> output, List<YuNetCandidate>? hints)
    {
        // Input pixels to photo pixels. Both take (0, 0) at the centre of the top-left pixel, as OpenCV does.
        float sx = region.Width / (float)input.Width, sy = region.Height / (float)input.Height;
        bool inner = region != image.Bounds();
        foreach (YuNetCandidate c in found)
        {
            float[] g = c.Geometry;
            if (hints is not null && c.Width < SmallFace && c.Score >= HintThreshold)
            {
                hints.Add(Map(c, region, sx, sy));
            }

            bool cut = inner && ((g[0] <= 1 && region.Left > 0) || (g[1] <= 1 && region.Top > 0)
                || (g[2] >= input.Width - 2 && region.Right < image.Width) || (g[3] >= input.Height - 2 && region.Bottom < image.Height));
            if (c.Score >= _options.ScoreThreshold && !cut && c.Width >= smallest && c.Width <= largest)
            {
                output.Add(Map(c, region, sx, sy));
            }
        }
    }

    private static YuNetCandidate Map(in YuNetCandidate c, Rectangle region, float sx, float sy)
    {
        float[] g = new float[YuNetCandidate.Values];
        for (int k = 0; k < YuNetCandidate.Values; k += 2)
        {
            g[k] = region.X + ((c.Geometry[k] + 0.5f) * sx) - 0.5f;
            g[k + 1] = region.Y + ((c.Geometry[k + 1] + 0.5f) * sy) - 0.5f;
        }

        return new YuNetCandidate { Geometry = g, Score = c.Score };
    }

    /// <summary>One input of the model: planes of blue, green and red, 0 to 255, padded with black to multiples of 32.</summary>
    private sealed class Input : IDisposable
    {
        private Input(int width, int height)
        {
            Width = width;
            Height = height;
            PaddedWidth = Pad(width);
            PaddedHeight = Pad(height);
            Planes = ArrayPool<float>.Shared.Rent(3 * PaddedWidth * PaddedHeight);
        }

        public int Width { get; }

        public int Height { get; }

        public int PaddedWidth { get; }

        public int PaddedHeight { get; }

        public float[] Planes { get; }

        /// <summary>The <paramref name="region"/> of a photo shrunk by <paramref name="scale"/>, never enlarged.</summary>
        public static Input Of(Image<Rgb24> image, Rectangle region, float scale)
        {
            var input = new Input(Side(region.Width, scale), Side(region.Height, scale));
            try
            {
                AreaResize.ShrinkToPlanarBgr(image, region, input.Width, input.Height, input.Planes, input.PaddedWidth, input.PaddedHeight);
                input.ClearPadding();
                return input;
            }
            catch
            {
                input.Dispose();
                throw;
            }
        }

        /// <summary>This input shrunk further, by <paramref name="scale"/>.</summary>
        public Input Shrink(float scale)
        {
            var input = new Input(Side(Width, scale), Side(Height, scale));
            int plane = PaddedWidth * PaddedHeight, smaller = input.PaddedWidth * input.PaddedHeight;
            for (int c = 0; c < 3; c++)
            {
                AreaResize.ShrinkPlane(Planes.AsSpan(c * plane, plane), Width, Height, PaddedWidth, input.Planes.AsSpan(c * smaller, smaller), input.Width, input.Height, input.PaddedWidth);
            }

            input.ClearPadding();
            return input;
        }

        public void Dispose() => ArrayPool<float>.Shared.Return(Planes);

        /// <summary>Black right of and below the image: the pooled buffer may hold anything there.</summary>
        private void ClearPadding()
        {
            int plane = PaddedWidth * PaddedHeight;
            for (int c = 0; c < 3; c++)
            {
                for (int y = 0; y < Height; y++)
                {
                    Array.Clear(Planes, (c * plane) + (y * PaddedWidth) + Width, PaddedWidth - Width);
                }

                Array.Clear(Planes, (c * plane) + (Height * PaddedWidth), (PaddedHeight - Height) * PaddedWidth);
            }
        }
    }
}
