using System.CommandLine;
using System.Text.Json;
using SwinFace.Recognition;

namespace SwinFace.Cli;

/// <summary>
/// The <c>enroll</c> command, which adds faces of one person to a gallery file, and the <c>gallery</c> command
/// with <c>list</c>, <c>remove</c> and <c>rename</c>, which need no model.
/// </summary>
internal static class GalleryCommands
{
    private const string GalleryHelp = "Path of the gallery file.";

    public static Command CreateEnroll()
    {
        Option<string> model = FaceInputs.ModelOption();
        Option<string> gallery = FaceInputs.GalleryOption("Path of the gallery file; created when it does not exist. Enrol with the same model that identify will use.");
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
        command.Options.Add(id);
        command.Options.Add(aligned);
        command.Options.Add(json);
        command.Arguments.Add(photos);
        command.SetAction(parse =>
        {
            string path = parse.GetValue(gallery)!;
            string name = parse.GetValue(id)!;
            if (name.Length == 0)
            {
                return Cli.Fail(FaceInputs.InputError, "--id must not be empty.");
            }

            if (!Directory.Exists(Path.GetDirectoryName(Path.GetFullPath(path))))
            {
                return Cli.Fail(FaceInputs.InputError, $"--gallery {path}: the folder does not exist.");
            }

            try
            {
                FaceInputs.RequireFiles(parse.GetValue(photos)!);
                using FaceAnalyzer analyzer = FaceAnalyzer.Create(parse.GetValue(model)!);
                using FaceGallery faces = File.Exists(path) ? FaceInputs.LoadGallery(path, analyzer.ModelId) : new FaceGallery(analyzer.ModelId);
                Cli.WarnIfUntrained(analyzer);
                float[][] embeddings = [.. parse.GetValue(photos)!.Select(photo => FaceInputs.ReadLargest(analyzer, photo, parse.GetValue(aligned)).Embedding)];
                try
                {
                    faces.Enroll(name, embeddings);
                }
                catch (ArgumentException e)
                {
                    return Cli.Fail(FaceInputs.InputError, $"--id {name}: {FaceInputs.Reason(e)}");
                }

                faces.Save(path);
                int total = faces.GetFaceCount(name);
                if (parse.GetValue(json))
                {
                    FaceInputs.WriteJson(w =>
                    {
                        w.WriteString("gallery", path);
                        w.WriteString("id", name);
                        w.WriteNumber("enrolled", embeddings.Length);
                        w.WriteNumber("faces", total);
                        w.WriteNumber("identityCount", faces.Count);
                    });
                }
                else
                {
                    Console.WriteLine($"enrolled {embeddings.Length} face{Plural(embeddings.Length)} of '{name}' into {path}; '{name}' now has {total} face{Plural(total)} ({faces.Count} identit{(faces.Count == 1 ? "y" : "ies")} in the gallery)");
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
}
