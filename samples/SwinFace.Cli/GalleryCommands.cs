using System.CommandLine;
using System.Text.Json;
using SwinFace.PostgreSql;
using SwinFace.Recognition;

namespace SwinFace.Cli;

/// <summary>
/// The <c>enroll</c> command, which adds faces of one person to a gallery file or a gallery in PostgreSQL + pgvector
/// (<c>--db</c>), and the <c>gallery</c> command with <c>list</c>, <c>remove</c> and <c>rename</c> of a gallery file,
/// which need no model.
/// </summary>
internal static class GalleryCommands
{
    private const string GalleryHelp = "Path of the gallery file.";

    public static Command CreateEnroll()
    {
        Option<string> model = FaceInputs.ModelOption();
        Option<string> gallery = FaceInputs.GalleryOption("Path of the gallery file, or with --db the gallery's name; created when it does not exist. Enrol with the same model that identify will use.");
        Option<string?> db = FaceInputs.DbOption();
        Option<string> id = new("--id") { Description = "The person's name or id: not empty, at most 256 UTF-8 bytes.", Required = true };
        Option<bool> aligned = FaceInputs.AlignedOption();
        Option<bool> json = FaceInputs.JsonOption();
        Argument<string[]> photos = new("photos")
        {
            Description = "Photos of the person. A photo with several faces: its largest face is enrolled. A photo without a face is an error, and nothing is saved.",
            Arity = ArgumentArity.OneOrMore,
        };
        var command = new Command("enroll", "Add one person's faces to a gallery for identify: one face (the largest) per photo, averaged into the person's template.");
        command.Options.Add(model);
        command.Options.Add(gallery);
        command.Options.Add(db);
        command.Options.Add(id);
        command.Options.Add(aligned);
        command.Options.Add(json);
        command.Arguments.Add(photos);
        command.SetAction(async (parse, cancellationToken) =>
        {
            string path = parse.GetValue(gallery)!;
            string? connection = parse.GetValue(db);
            string name = parse.GetValue(id)!;
            if (name.Length == 0)
            {
                return Cli.Fail(FaceInputs.InputError, "--id must not be empty.");
            }

            if (connection is null && !Directory.Exists(Path.GetDirectoryName(Path.GetFullPath(path))))
            {
                return Cli.Fail(FaceInputs.InputError, $"--gallery {path}: the folder does not exist.");
            }

            try
            {
                FaceInputs.RequireFiles(parse.GetValue(photos)!);
                using FaceAnalyzer analyzer = FaceAnalyzer.Create(parse.GetValue(model)!);
                Enrollment enrollment = connection is null
                    ? new FileEnrollment(path, File.Exists(path) ? FaceInputs.LoadGallery(path, analyzer.ModelId) : new FaceGallery(analyzer.ModelId))
                    : await DbEnrollment.OpenAsync(connection, path, analyzer.ModelId, cancellationToken);
                await using (enrollment)
                {
                    Cli.WarnIfUntrained(analyzer);
                    float[][] embeddings = [.. parse.GetValue(photos)!.Select(photo => FaceInputs.ReadLargest(analyzer, photo, parse.GetValue(aligned)).Embedding)];
                    int total;
                    try
                    {
                        total = await enrollment.EnrollAsync(name, embeddings, cancellationToken);
                    }
                    catch (ArgumentException e)
                    {
                        return Cli.Fail(FaceInputs.InputError, $"--id {name}: {FaceInputs.Reason(e)}");
                    }

                    int count = await enrollment.Gallery!.CountAsync(cancellationToken);
                    if (parse.GetValue(json))
                    {
                        FaceInputs.WriteJson(w =>
                        {
                            w.WriteString("gallery", enrollment.Label);
                            w.WriteString("id", name);
                            w.WriteNumber("enrolled", embeddings.Length);
                            w.WriteNumber("faces", total);
                            w.WriteNumber("identityCount", count);
                        });
                    }
                    else
                    {
                        Console.WriteLine($"enrolled {embeddings.Length} face{Plural(embeddings.Length)} of '{name}' into {enrollment.Label}; '{name}' now has {total} face{Plural(total)} ({count} identit{(count == 1 ? "y" : "ies")} in the gallery)");
                    }
                }

                return 0;
            }
            catch (Exception e) when (FaceInputs.IsInputError(e))
            {
                return Cli.Fail(FaceInputs.InputError, e.Message);
            }
        });
        return command;
    }

    public static Command CreateGallery()
    {
        var command = new Command("gallery", "List, remove or rename the identities of a gallery file (no model needed; add faces with enroll).");
        command.Subcommands.Add(CreateList());
        command.Subcommands.Add(CreateRemove());
        command.Subcommands.Add(CreateRename());
        return command;
    }

    private static Command CreateList()
    {
        Option<string> gallery = FaceInputs.GalleryOption(GalleryHelp);
        Option<bool> json = FaceInputs.JsonOption();
        var command = new Command("list", "List the identities and how many faces each has.");
        command.Options.Add(gallery);
        command.Options.Add(json);
        command.SetAction(parse => Edit(parse.GetValue(gallery)!, parse.GetValue(json), save: false, faces =>
        {
            string[] ids = [.. faces.GetIds().Order(StringComparer.Ordinal)];
            string text = string.Join(
                Environment.NewLine,
                [$"{ids.Length} identit{(ids.Length == 1 ? "y" : "ies")}", .. ids.Select(id => $"  {id}  ({faces.GetFaceCount(id)} face{Plural(faces.GetFaceCount(id))})")]);
            return (text, w =>
            {
                w.WriteStartArray("identities");
                foreach (string id in ids)
                {
                    w.WriteStartObject();
                    w.WriteString("id", id);
                    w.WriteNumber("faces", faces.GetFaceCount(id));
                    w.WriteEndObject();
                }

                w.WriteEndArray();
            });
        }));
        return command;
    }

    private static Command CreateRemove()
    {
        Option<string> gallery = FaceInputs.GalleryOption(GalleryHelp);
        Option<bool> json = FaceInputs.JsonOption();
        Argument<string> id = new("id") { Description = "The identity to remove." };
        var command = new Command("remove", "Remove an identity and all its faces.");
        command.Options.Add(gallery);
        command.Options.Add(json);
        command.Arguments.Add(id);
        command.SetAction(parse => Edit(parse.GetValue(gallery)!, parse.GetValue(json), save: true, faces =>
        {
            string name = parse.GetValue(id)!;
            if (!faces.Remove(name))
            {
                throw new KeyNotFoundException($"The gallery has no identity '{name}'.");
            }

            return ($"removed '{name}' ({faces.Count} identit{(faces.Count == 1 ? "y" : "ies")} left)", w => w.WriteString("removed", name));
        }));
        return command;
    }

    private static Command CreateRename()
    {
        Option<string> gallery = FaceInputs.GalleryOption(GalleryHelp);
        Option<bool> json = FaceInputs.JsonOption();
        Argument<string> from = new("old") { Description = "The identity's current id." };
        Argument<string> to = new("new") { Description = "Its new id, not used by another identity." };
        var command = new Command("rename", "Rename an identity, keeping its faces.");
        command.Options.Add(gallery);
        command.Options.Add(json);
        command.Arguments.Add(from);
        command.Arguments.Add(to);
        command.SetAction(parse => Edit(parse.GetValue(gallery)!, parse.GetValue(json), save: true, faces =>
        {
            (string old, string name) = (parse.GetValue(from)!, parse.GetValue(to)!);
            faces.Rename(old, name);
            return ($"renamed '{old}' to '{name}'", w =>
            {
                w.WriteString("renamed", old);
                w.WriteString("to", name);
            });
        }));
        return command;
    }

    /// <summary>
    /// Loads a gallery, applies a change (or a query) that returns what to print as text and as JSON members, saves
    /// the gallery if asked, then prints; bad input becomes one error line.
    /// </summary>
    private static int Edit(string path, bool json, bool save, Func<FaceGallery, (string Text, Action<Utf8JsonWriter> Json)> change)
    {
        try
        {
            using FaceGallery faces = FaceGallery.Load(path);
            (string text, Action<Utf8JsonWriter> members) = change(faces);
            if (save)
            {
                faces.Save(path);
            }

            if (!json)
            {
                Console.WriteLine(text);
            }
            else
            {
                FaceInputs.WriteJson(w =>
                {
                    w.WriteString("gallery", path);
                    members(w);
                    w.WriteNumber("identityCount", faces.Count);
                });
            }

            return 0;
        }
        catch (ArgumentException e)
        {
            return Cli.Fail(FaceInputs.InputError, FaceInputs.Reason(e));
        }
        catch (Exception e) when (e is KeyNotFoundException || FaceInputs.IsInputError(e))
        {
            return Cli.Fail(FaceInputs.InputError, e.Message);
        }
    }

    private static string Plural(int count) => count == 1 ? string.Empty : "s";

    /// <summary>Where enroll adds faces: a gallery file, saved after the enrolment, or a gallery in the database.</summary>
    private abstract class Enrollment : IAsyncDisposable
    {
        public abstract string Label { get; }

        /// <summary>Gets the gallery, once it exists.</summary>
        public abstract IFaceGallery? Gallery { get; }

        public abstract Task<int> EnrollAsync(string id, IReadOnlyList<float[]> embeddings, CancellationToken cancellationToken);

        public abstract ValueTask DisposeAsync();
    }

    private sealed class FileEnrollment(string path, FaceGallery gallery) : Enrollment
    {
        public override string Label => path;

        public override IFaceGallery Gallery => gallery;

        public override async Task<int> EnrollAsync(string id, IReadOnlyList<float[]> embeddings, CancellationToken cancellationToken)
        {
            int faces = await ((IFaceGallery)gallery).EnrollAsync(id, embeddings, cancellationToken);
            gallery.Save(path);
            return faces;
        }

        public override ValueTask DisposeAsync()
        {
            gallery.Dispose();
            return ValueTask.CompletedTask;
        }
    }

    /// <summary>A gallery in PostgreSQL: checked against the model now, created (for this model) only when faces are enrolled.</summary>
    private sealed class DbEnrollment(PgVectorGalleryStore store, string name, string modelId, IFaceGallery? gallery) : Enrollment
    {
        private IFaceGallery? _gallery = gallery;

        public override string Label => FaceInputs.DbLabel(name);

        public override IFaceGallery? Gallery => _gallery;

        public static async Task<DbEnrollment> OpenAsync(string connection, string name, string modelId, CancellationToken cancellationToken)
        {
            PgVectorGalleryStore store = await FaceInputs.OpenStoreAsync(connection, cancellationToken);
            try
            {
                GalleryInfo.ValidateName(name, "--gallery");
                IFaceGallery? gallery = await store.OpenAsync(name, cancellationToken);
                if (gallery is not null)
                {
                    FaceInputs.RequireModel(gallery, FaceInputs.DbLabel(name), modelId);
                }

                return new DbEnrollment(store, name, modelId, gallery);
            }
            catch (ArgumentException e)
            {
                await store.DisposeAsync();
                throw new FormatException(FaceInputs.Reason(e), e);
            }
            catch
            {
                await store.DisposeAsync();
                throw;
            }
        }

        public override async Task<int> EnrollAsync(string id, IReadOnlyList<float[]> embeddings, CancellationToken cancellationToken)
        {
            if (_gallery is null)
            {
                // Another process may create it first, possibly for another model: checked again.
                await store.TryCreateAsync(name, modelId, cancellationToken);
                _gallery = await store.OpenAsync(name, cancellationToken) ?? throw new InvalidDataException($"{Label}: the gallery was deleted while faces were being enrolled.");
                FaceInputs.RequireModel(_gallery, Label, modelId);
            }

            return await _gallery.EnrollAsync(id, embeddings, cancellationToken);
        }

        public override ValueTask DisposeAsync() => store.DisposeAsync();
    }
}
