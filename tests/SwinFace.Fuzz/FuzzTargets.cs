using System.Security.Cryptography;
using System.Text;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using SwinFace.Conversion;
using SwinFace.Imaging;
using SwinFace.Inference;
using SwinFace.Recognition;
using SwinFace.Server;
using SwinFace.Server.Analysis;

namespace SwinFace.Fuzz;

/// <summary>
/// Every fuzz target. Adding one is one entry in <see cref="All"/> and one method below, plus a folder of
/// small seed files, <c>tests/SwinFace.Fuzz/seeds/NAME/</c>: <c>tests/fuzz/fuzz.sh</c>, CI and the
/// regression tests pick it up from there. See FUZZING.md. Nothing here may call into SwinFace before a
/// target runs (no static fields that construct SwinFace types): the instrumented library crashes when
/// called before SharpFuzz has mapped its coverage memory.
/// </summary>
internal static class FuzzTargets
{
    /// <summary>A fixed model SHA-256 for the threshold sidecar; the seeds name it, so mutations reach past the check.</summary>
    internal const string ThresholdModelSha256 = "0000000000000000000000000000000000000000000000000000000000000000";

    public static readonly IReadOnlyList<FuzzTarget> All =
    [
        new("photo", Photo, typeof(SwinFaceImageException)),
        new("gallery", Gallery, typeof(InvalidDataException)),
        new("pairs", Pairs, typeof(FormatException)),
        new("threshold", Threshold, typeof(InvalidDataException)),
        new("model", Model, typeof(SwinFaceModelException)),
        new("checkpoint", Checkpoint, typeof(SwinFaceModelException)),
        new("request", Request, typeof(RequestRefusedException)),
    ];

    public static FuzzTarget? Find(string name) => All.FirstOrDefault(t => t.Name == name);

    /// <summary>
    /// The analyzer's default pixel limit, with damaged photos decoded so their damage is assessed too.
    /// Created on first use: instrumented code must not run before SharpFuzz has set up its shared memory.
    /// </summary>
    private static readonly Lazy<PhotoLoader> Loader = new(() => new(new FaceAnalyzerOptions().MaxImagePixels, acceptDamaged: true));

    /// <summary>The decoder of <see cref="FaceAnalyzer.AnalyzePhoto(byte[], Analysis.FaceTasks, bool)"/>: everything before face detection.</summary>
    private static void Photo(byte[] input)
    {
        using Image<Rgb24> image = Loader.Value.Load(new MemoryStream(input, writable: false), "fuzz input").Image;
    }

    /// <summary>
    /// <see cref="FaceGallery.Load(string)"/>, from memory instead of a file. The last 32 bytes are replaced by
    /// the SHA-256 of the rest first: otherwise nearly every mutation stops at the checksum, and the checks
    /// after it (ids, counts, norms) are never reached. The checksum test itself is one comparison.
    /// </summary>
    private static void Gallery(byte[] input)
    {
        if (input.Length >= 32)
        {
            SHA256.HashData(input.AsSpan(0, input.Length - 32), input.AsSpan(input.Length - 32));
        }

        using FaceGallery gallery = GalleryFile.Read(new MemoryStream(input, writable: false), "fuzz input");
        if (gallery.Count > 0)
        {
            float[] probe = new float[FaceGallery.Dimension];
            probe[0] = 1;
            _ = gallery.Search(probe, 3);
        }
    }

    private static void Pairs(byte[] input) =>
        PairsCsv.Read(new StringReader(Encoding.UTF8.GetString(input)));

    private static void Threshold(byte[] input) =>
        ThresholdStore.Parse(input, "fuzz.threshold.json", "fuzz.swinface", ThresholdModelSha256);

    /// <summary>
    /// What <see cref="FaceAnalyzer.Create(string, FaceAnalyzerOptions?)"/> does with a model's bytes before ONNX Runtime
    /// sees any of them: the container, the manifest, and every graph copied out and checked against the manifest's
    /// SHA-256 (<c>ModelRunner.Open</c> then hands the checked bytes to ONNX Runtime, which is not fuzzed here). The ZIP
    /// entries' CRC-32s are fixed up first, so that mutations of the manifest get past its CRC. A checkpoint given
    /// instead is read and strictly checked; the <c>checkpoint</c> target fuzzes that reader.
    /// </summary>
    private static void Model(byte[] input)
    {
        ZipCrcs.FixUp(input);
        using RandomAccessBytes bytes = RandomAccessBytes.Wrap(new MemoryStream(input, writable: false));
        IModelGraphs graphs = ModelLoader.Open(bytes, "fuzz input");
        if (graphs is ModelFile)
        {
            foreach (string graph in graphs.Manifest.Graphs.Distinct(StringComparer.Ordinal))
            {
                graphs.WriteGraph(graph, Stream.Null);
            }

            _ = graphs.ModelId;
        }
    }

    /// <summary>
    /// The checkpoint reader: <see cref="TorchCheckpoint.Read(RandomAccessBytes, string)"/> (the ZIP, the restricted
    /// unpickler, storages and tensor views), then every tensor's data read, up to a million elements per input (a
    /// stride-0 view may claim billions), and the strict check against the official architecture. The ZIP entries'
    /// CRC-32s are fixed up first, so that mutations of the pickle and of the storages get past them.
    /// </summary>
    private static void Checkpoint(byte[] input)
    {
        ZipCrcs.FixUp(input);
        using RandomAccessBytes bytes = RandomAccessBytes.Wrap(new MemoryStream(input, writable: false));
        TorchCheckpoint checkpoint = TorchCheckpoint.Read(bytes, "fuzz input");
        long budget = 1 << 20;
        foreach (TorchTensor tensor in Tensors(checkpoint.Root))
        {
            if (tensor.Count > budget)
            {
                continue;
            }

            budget -= tensor.Count;
            tensor.ReadSingles(new float[tensor.Count]);
            if (tensor.DType is not (TorchDType.Float32 or TorchDType.Float64 or TorchDType.Float16 or TorchDType.BFloat16))
            {
                tensor.ReadInt64s(new long[tensor.Count]);
            }
        }

        _ = SwinFaceCheckpoint.Load(checkpoint, ModelStructure.Float32);
    }

    /// <summary>Every tensor reachable from an unpickled object, once each; without recursion, as a pickle may nest deeply or hold itself.</summary>
    private static IEnumerable<TorchTensor> Tensors(object? root)
    {
        var seen = new HashSet<object>(ReferenceEqualityComparer.Instance);
        var pending = new Stack<object?>([root]);
        while (pending.TryPop(out object? value))
        {
            if (value is null || value is string or long or double or bool || !seen.Add(value))
            {
                continue;
            }

            switch (value)
            {
                case TorchTensor tensor:
                    yield return tensor;
                    break;
                case PickleDict dict:
                    foreach (KeyValuePair<object, object?> item in dict.Items)
                    {
                        pending.Push(item.Value);
                    }

                    break;
                case IEnumerable<object?> items:
                    foreach (object? item in items)
                    {
                        pending.Push(item);
                    }

                    break;
            }
        }
    }

    /// <summary>
    /// What the service makes of a request before the photo loader sees its images: the content type, the body as
    /// multipart form files or a raw image (<c>Uploads.ReadAsync</c>, with the service's form limits) and the
    /// <c>tasks</c> query (<c>FaceRequest.Parse</c>). The input is the content type, a newline, the tasks, a newline,
    /// and the body. Every refusal must be a <c>RequestRefusedException</c>, which the service answers with a 4xx
    /// problem; anything else would be a 500.
    /// </summary>
    private static void Request(byte[] input)
    {
        int first = Array.IndexOf(input, (byte)'\n');
        int second = first < 0 ? -1 : Array.IndexOf(input, (byte)'\n', first + 1);
        string contentType = Encoding.UTF8.GetString(input, 0, first < 0 ? input.Length : first);
        string tasks = second < 0 ? string.Empty : Encoding.UTF8.GetString(input, first + 1, second - first - 1);
        byte[] body = second < 0 ? [] : input[(second + 1)..];

        var options = new ServerOptions();
        var context = new Microsoft.AspNetCore.Http.DefaultHttpContext
        {
            FormOptions = ServerApp.FormLimits(options, new Microsoft.AspNetCore.Http.Features.FormOptions()),
        };
        context.Request.Method = "POST";
        context.Request.ContentType = contentType;
        context.Request.ContentLength = body.Length;
        context.Request.Body = new MemoryStream(body, writable: false);
        _ = FaceRequest.Parse(tasks, aligned: null, crops: null, maxFaces: null, minFaceSize: null);
        _ = new Uploads(Microsoft.Extensions.Options.Options.Create(options)).ReadAsync(context.Request, CancellationToken.None).GetAwaiter().GetResult();
    }
}
