using System.CommandLine;
using System.Data.Common;
using System.Text.Json;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using SwinFace.Analysis;
using SwinFace.Detection;
using SwinFace.Imaging;
using SwinFace.PostgreSql;
using SwinFace.Recognition;

namespace SwinFace.Cli;

/// <summary>One face of an input image: where it was found (null for an aligned crop) and its identity embedding.</summary>
internal sealed record InputFace(FaceDetection? Detection, float[] Embedding);

/// <summary>What the recognition commands share: their options, reading faces from images, input errors and JSON output.</summary>
internal static class FaceInputs
{
    public const int InputError = 2;

    public const string NoThreshold =
        "No verdict: SwinFace publishes no verification threshold, and none is invented here; " +
        "`calibrate --pairs pairs.csv --save-threshold` measures one for this model (or pass --threshold).";

    public static Option<string> ModelOption() => new("--model") { Description = "Path of a .swinface model file, or of the authors' checkpoint (converted while it loads).", Required = true };

    public static Option<bool> JsonOption() => new("--json") { Description = "Print one JSON document instead of text." };

    public static Option<string> GalleryOption(string description) => new("--gallery") { Description = description, Required = true };

    public static Option<string?> DbOption() => new("--db")
    {
        Description = "Use a gallery in PostgreSQL with pgvector instead of a file: an Npgsql connection string, such as "
            + "\"Host=db;Database=faces;Username=app\" (the password from PGPASSWORD or ~/.pgpass). --gallery is then the gallery's name.",
    };
    /// <summary>The <c>--detector</c> option: YuNet, the library's default, or BlazeFace.</summary>
    public static Option<string> DetectorOption()
    {
        var option = new Option<string>("--detector")
        {
            Description = "The face detector: yunet (the default: five landmarks, five-point alignment) or blazeface (faster, fewer faces found, four-point alignment).",
            DefaultValueFactory = _ => "yunet",
        };
        option.AcceptOnlyFromAmong("yunet", "blazeface");
        return option;
    }

    /// <summary>The analyzer options that choose the detector named by <see cref="DetectorOption"/>.</summary>
    public static BlazeFaceOptions? BlazeFaceIf(string detector, int threads) =>
        detector == "blazeface" ? new BlazeFaceOptions { IntraOpThreads = threads } : null;

    public static Option<bool> AlignedOption() => new("--aligned")
    {
        Description = "The images are already aligned 112x112 face crops (ArcFace template): one face each, no detection.",
    };

    public static Option<float?> ThresholdOption()
    {
        var option = new Option<float?>("--threshold")
        {
            Description = "Cosine similarity at or above which two faces are the same person. Default: the threshold saved by `calibrate --save-threshold` for this model, else no verdict.",
        };
        option.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<float?>() is float t && !(t >= -1 && t <= 1))
            {
                result.AddError("--threshold must be a cosine similarity, from -1 to 1.");
            }
        });
        return option;
    }

    /// <summary>Loads a gallery and refuses it when it records another model: its scores would mean nothing.</summary>
    public static FaceGallery LoadGallery(string path, string modelId)
    {
        FaceGallery gallery = FaceGallery.Load(path);
        try
        {
            RequireModel(gallery, path, modelId);
        }
        catch
        {
            gallery.Dispose();
            throw;
        }

        return gallery;
    }

    /// <summary>Refuses a gallery that records another model than <paramref name="modelId"/>: its scores would mean nothing.</summary>
    public static void RequireModel(IFaceGallery gallery, string where, string modelId)
    {
        if (gallery.Model is { } recorded && recorded != modelId)
        {
            throw new InvalidDataException($"{where}: the gallery holds embeddings of the model {recorded}, not of this model ({modelId}); similarities across models mean nothing.");
        }
    }

    /// <summary>Opens the pgvector store of <c>--db</c>, its errors turned into input errors that say what is wrong.</summary>
    public static async Task<PgVectorGalleryStore> OpenStoreAsync(string connectionString, CancellationToken cancellationToken)
    {
        try
        {
            return await PgVectorGalleryStore.CreateAsync(connectionString, cancellationToken: cancellationToken);
        }
        catch (ArgumentException e)
        {
            throw new FormatException($"--db is not a valid connection string: {Reason(e)}", e);
        }
        catch (InvalidOperationException e)
        {
            throw new InvalidDataException($"--db: {e.Message}", e);
        }
    }

    /// <summary>How a database gallery is named in messages: <c>pg:NAME</c>.</summary>
    public static string DbLabel(string name) => $"pg:{name}";

    /// <summary>Checks that every input file exists before any is analysed, which can take long.</summary>
    public static void RequireFiles(params IEnumerable<string> files)
    {
        foreach (string file in files)
        {
            if (!File.Exists(file))
            {
                throw new FileNotFoundException($"Image file not found: {file}", file);
            }
        }
    }

    /// <summary>Finds and embeds every face of an image: all detected faces of a photo, or the one face of an aligned crop.</summary>
    public static IReadOnlyList<InputFace> Read(FaceAnalyzer analyzer, string file, bool aligned)
    {
        if (!aligned)
        {
            return [.. analyzer.AnalyzePhoto(file, FaceTasks.Identity).Faces.Select(f => new InputFace(f.Detection, f.Analysis.Embedding!))];
        }

        if (!File.Exists(file))
        {
            throw new FileNotFoundException($"Image file not found: {file}", file);
        }

        using Image<Rgb24> image = ImageFile.Load(file);
        return [new InputFace(null, analyzer.Analyze(image, FaceTasks.Identity).Embedding!)];
    }

    /// <summary>Embeds the largest face (by box area) of an image; an image without a face is an input error.</summary>
    public static (float[] Embedding, int FaceCount) ReadLargest(FaceAnalyzer analyzer, string file, bool aligned)
    {
        IReadOnlyList<InputFace> faces = Read(analyzer, file, aligned);
        InputFace? largest = faces.MaxBy(f => f.Detection is { } d ? d.Box.Width * d.Box.Height : 0);
        if (largest is null)
        {
            // The detector rarely finds the tightly cropped face of an aligned crop.
            bool crop = Image.Identify(file) is { Width: 112, Height: 112 };
            throw new InvalidDataException($"{file}: no face found{(crop ? "; if it is an aligned 112x112 crop, pass --aligned" : string.Empty)}.");
        }

        return (largest.Embedding, faces.Count);
    }

    /// <summary>
    /// Whether an exception means bad input (a missing or unreadable file, a bad model, gallery or CSV, a database
    /// that cannot be reached or refuses) rather than a bug.
    /// </summary>
    public static bool IsInputError(Exception e) =>
        e is SwinFaceModelException or SwinFaceImageException or IOException or UnauthorizedAccessException or InvalidDataException or FormatException
            or DbException;

    /// <summary>The message of an <see cref="ArgumentException"/> without the " (Parameter 'x')" suffix meant for programmers.</summary>
    public static string Reason(ArgumentException e) =>
        e.ParamName is null ? e.Message : e.Message.Replace($" (Parameter '{e.ParamName}')", string.Empty, StringComparison.Ordinal);

    public static void WriteJson(Action<Utf8JsonWriter> writeMembers)
    {
        using Stream stdout = Console.OpenStandardOutput();
        using (var writer = new Utf8JsonWriter(stdout, new JsonWriterOptions { Indented = true }))
        {
            writer.WriteStartObject();
            writeMembers(writer);
            writer.WriteEndObject();
        }

        stdout.Write("\n"u8);
    }

}
