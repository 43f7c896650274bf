using System.Security.Cryptography;
using System.Text;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using SwinFace.Imaging;
using SwinFace.Recognition;

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
}
