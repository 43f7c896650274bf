using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using SwinFace.Analysis;
using SwinFace.PostgreSql;
using SwinFace.Recognition;

namespace SwinFace.Cli;

/// <summary>The <c>identify</c> command: searches a gallery for every face of every photo.</summary>
internal static class IdentifyCommand
{
    private static readonly Option<string> Model = FaceInputs.ModelOption();
    private static readonly Option<string> Gallery = FaceInputs.GalleryOption("Path of a gallery file written by enroll with the same model, or with --db the gallery's name.");
    private static readonly Option<string?> Db = FaceInputs.DbOption();
    private static readonly Option<int> Top = CreateTopOption();
    private static readonly Option<float?> Threshold = FaceInputs.ThresholdOption();
    private static readonly Option<bool> Aligned = FaceInputs.AlignedOption();
    private static readonly Option<bool> Json = FaceInputs.JsonOption();
    private static readonly Argument<string[]> Photos = new("photos") { Description = "Photos (every face is searched) or, with --aligned, aligned crops.", Arity = ArgumentArity.OneOrMore };

    private sealed record FaceMatches(InputFace Face, IReadOnlyList<GalleryMatch> Matches, string? Identity);

    public static Command Create()
    {
        var command = new Command("identify", "Find who each face of each photo is: the top matches in a gallery, and the identity (or \"unknown\") when a threshold is known.");
        command.Options.Add(Model);
        command.Options.Add(Gallery);
        command.Options.Add(Db);
        command.Options.Add(Top);
        command.Options.Add(Threshold);
        command.Options.Add(Aligned);
        command.Options.Add(Json);
        command.Arguments.Add(Photos);
        command.SetAction(RunAsync);
        return command;
    }

    private static Option<int> CreateTopOption()
    {
        var option = new Option<int>("--top") { Description = "Matches listed per face.", DefaultValueFactory = _ => 5 };
        option.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<int>() < 1)
            {
                result.AddError("--top must be 1 or more.");
            }
        });
        return option;
    }

    private static async Task<int> RunAsync(ParseResult parse, CancellationToken cancellationToken)
    {
        try
        {
            FaceInputs.RequireFiles(parse.GetValue(Photos)!);
            string modelPath = parse.GetValue(Model)!;
            using FaceAnalyzer analyzer = FaceAnalyzer.Create(modelPath);
            string name = parse.GetValue(Gallery)!;
            string? connection = parse.GetValue(Db);
            await using PgVectorGalleryStore? store = connection is null ? null : await FaceInputs.OpenStoreAsync(connection, cancellationToken);
            using FaceGallery? fromFile = store is null ? FaceInputs.LoadGallery(name, analyzer.ModelId) : null;
            IFaceGallery gallery = fromFile ?? await OpenAsync(store!, name, analyzer.ModelId, cancellationToken);
            Cli.WarnIfUntrained(analyzer);
            ThresholdChoice? threshold = ThresholdChoice.Resolve(parse.GetValue(Threshold), modelPath);
            int top = parse.GetValue(Top);

            var images = new List<(string File, List<FaceMatches> Faces)>();
            foreach (string file in parse.GetValue(Photos)!)
            {
                var faces = new List<FaceMatches>();
                foreach (InputFace face in FaceInputs.Read(analyzer, file, parse.GetValue(Aligned)))
                {
                    IReadOnlyList<GalleryMatch> matches = await gallery.SearchAsync(face.Embedding, top, cancellationToken);
                    string? identity = threshold is null ? null
                        : matches.Count > 0 && threshold.Accepts(matches[0].Similarity) ? matches[0].Id : "unknown";
                    faces.Add(new FaceMatches(face, matches, identity));
                }

                images.Add((file, faces));
            }

            if (parse.GetValue(Json))
            {
                FaceInputs.WriteJson(json =>
                {
                    ThresholdChoice.Write(json, threshold);
                    json.WriteStartArray("images");
                    foreach ((string file, List<FaceMatches> faces) in images)
                    {
                        json.WriteStartObject();
                        json.WriteString("file", file);
                        json.WriteStartArray("faces");
                        faces.ForEach(face => WriteFace(json, face));
                        json.WriteEndArray();
                        json.WriteEndObject();
                    }

                    json.WriteEndArray();
                });
                return 0;
            }

            WriteText(images, threshold);
            return 0;
        }
        catch (Exception e) when (FaceInputs.IsInputError(e))
        {
            return Cli.Fail(FaceInputs.InputError, e.Message);
        }
    }

    /// <summary>Opens a gallery of the database, refusing one that is missing or of another model.</summary>
    private static async Task<IFaceGallery> OpenAsync(PgVectorGalleryStore store, string name, string modelId, CancellationToken cancellationToken)
    {
        IFaceGallery gallery = await store.OpenAsync(name, cancellationToken)
            ?? throw new InvalidDataException($"{FaceInputs.DbLabel(name)}: the database has no gallery of that name; enroll creates one.");
        FaceInputs.RequireModel(gallery, FaceInputs.DbLabel(name), modelId);
        return gallery;
    }

    private static void WriteFace(Utf8JsonWriter json, FaceMatches face) =>
        AnalysisJson.WriteMatches(json, face.Face.Detection, face.Matches, face.Identity);

    private static void WriteText(List<(string File, List<FaceMatches> Faces)> images, ThresholdChoice? threshold)
    {
        if (threshold is not null)
        {
            Console.WriteLine($"threshold {threshold.Describe()}");
        }

        foreach ((string file, List<FaceMatches> faces) in images)
        {
            Console.WriteLine($"{file}: {faces.Count} face{(faces.Count == 1 ? string.Empty : "s")}");
            for (int k = 0; k < faces.Count; k++)
            {
                FaceMatches face = faces[k];
                string where = face.Face.Detection is { } d ? FormattableString.Invariant($" at {d.Box.X:F0},{d.Box.Y:F0} {d.Box.Width:F0}x{d.Box.Height:F0}") : string.Empty;
                string matches = face.Matches.Count == 0
                    ? "(gallery is empty)"
                    : string.Join(", ", face.Matches.Select(m => $"{m.Id} {m.Similarity.ToString("F4", CultureInfo.InvariantCulture)}"));
                Console.WriteLine($"  face {k}{where}: {(face.Identity is null ? string.Empty : $"{face.Identity}; ")}matches {matches}");
            }
        }

        if (threshold is null)
        {
            Console.WriteLine(FaceInputs.NoThreshold);
        }
    }
}
