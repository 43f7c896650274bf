using System.Diagnostics;
using System.Reflection;
using System.Text.Json;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using SwinFace.PostgreSql;

namespace SwinFace.Tests.Recognition;

/// <summary>The CLI's <c>enroll</c> and <c>identify</c> with <c>--db</c>, run as processes against the test database.</summary>
public sealed class CliTests : IDisposable
{
    private static readonly string Cli = Metadata("SwinFaceCli");
    private static readonly string TinyModel = Path.Combine(Metadata("RepoRoot"), "models", "testdata", "swinface-tiny.swinface");

    private readonly string _folder = Directory.CreateTempSubdirectory("swinface-cli-pg-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [GalleryFact]
    public async Task EnrollAndIdentify_WithDb_ScoreAsTheGalleryFileDoes()
    {
        string db = PgDatabase.ConnectionString;
        string name = "cli-" + Guid.NewGuid().ToString("N")[..8];
        string[] crops = [Crop("ann.png", 1), Crop("bob.png", 2), Crop("ann-again.png", 3)];
        string file = Path.Combine(_folder, "gallery.bin");
        try
        {
            foreach (string[] where in new[] { new[] { "--db", db, "--gallery", name }, ["--gallery", file] })
            {
                JsonElement first = Json(Run(["enroll", "--model", TinyModel, .. where, "--id", "ann", "--aligned", "--json", crops[0], crops[2]]));
                Assert.Equal(2, first.GetProperty("faces").GetInt32());
                JsonElement second = Json(Run(["enroll", "--model", TinyModel, .. where, "--id", "bob", "--aligned", "--json", crops[1]]));
                Assert.Equal(2, second.GetProperty("identityCount").GetInt32());
                JsonElement third = Json(Run(["enroll", "--model", TinyModel, .. where, "--id", "ann", "--aligned", "--json", crops[0]]));
                Assert.Equal(3, third.GetProperty("faces").GetInt32());
            }

            Assert.Contains("into pg:" + name, Run(["enroll", "--model", TinyModel, "--db", db, "--gallery", name, "--id", "cy", "--aligned", crops[2]]), StringComparison.Ordinal);
            Run(["enroll", "--model", TinyModel, "--gallery", file, "--id", "cy", "--aligned", crops[2]]);

            string[] identify = ["identify", "--model", TinyModel, "--aligned", "--json", "--top", "3", "--threshold", "0.5", .. crops];
            JsonElement fromDb = Json(Run([.. identify, "--db", db, "--gallery", name]));
            JsonElement fromFile = Json(Run([.. identify, "--gallery", file]));

            // The same ids, in the same order, with the same similarities to the last digit.
            Assert.Equal(Matches(fromFile), Matches(fromDb));
            Assert.Equal("bob", fromDb.GetProperty("images")[1].GetProperty("faces")[0].GetProperty("matches")[0].GetProperty("id").GetString());
            Assert.Equal(3, fromDb.GetProperty("images")[0].GetProperty("faces")[0].GetProperty("matches").GetArrayLength());
        }
        finally
        {
            await using PgVectorGalleryStore store = await PgDatabase.CreateStoreAsync(new());
            await store.DeleteAsync(name);
        }
    }

    [GalleryFact]
    public async Task EnrollAndIdentify_WithDb_RefuseAGalleryOfAnotherModel()
    {
        string db = PgDatabase.ConnectionString;
        string name = "cli-other-" + Guid.NewGuid().ToString("N")[..8];
        string crop = Crop("ann.png", 1);
        await using PgVectorGalleryStore store = await PgDatabase.CreateStoreAsync(new());
        Assert.True(await store.TryCreateAsync(name, "another-model"));
        try
        {
            foreach (string[] command in new[] { new[] { "enroll", "--id", "ann" }, ["identify"] })
            {
                (int code, string error) = RunFailing([.. command, "--model", TinyModel, "--db", db, "--gallery", name, "--aligned", crop]);
                Assert.Equal(2, code);
                Assert.Contains($"pg:{name}: the gallery holds embeddings of the model another-model, not of this model", error, StringComparison.Ordinal);
            }

            Assert.Equal(0, await (await store.OpenAsync(name))!.CountAsync());

            (int missing, string noGallery) = RunFailing(["identify", "--model", TinyModel, "--db", db, "--gallery", name + "-missing", "--aligned", crop]);
            Assert.Equal(2, missing);
            Assert.Contains("the database has no gallery of that name", noGallery, StringComparison.Ordinal);

            (int badName, string invalid) = RunFailing(["enroll", "--id", "x", "--model", TinyModel, "--db", db, "--gallery", "no/slash", "--aligned", crop]);
            Assert.Equal(2, badName);
            Assert.Contains("A gallery name holds only ASCII letters", invalid, StringComparison.Ordinal);

            (int unreachable, string refused) = RunFailing(["identify", "--model", TinyModel, "--db", "Host=127.0.0.1;Port=1;Username=u;Timeout=5", "--gallery", name, "--aligned", crop]);
            Assert.Equal(2, unreachable);
            Assert.Contains("Failed to connect to 127.0.0.1:1", refused, StringComparison.Ordinal);
        }
        finally
        {
            await store.DeleteAsync(name);
        }
    }

    private static string Metadata(string key) =>
        typeof(CliTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == key).Value!;

    private static JsonElement Json(string output) => JsonDocument.Parse(output).RootElement.Clone();

    /// <summary>Every face's matches as "id similarity" lines, similarities as the CLI wrote them.</summary>
    private static string[] Matches(JsonElement identify) =>
        [.. identify.GetProperty("images").EnumerateArray()
            .SelectMany(image => image.GetProperty("faces").EnumerateArray())
            .SelectMany(face => face.GetProperty("matches").EnumerateArray().Append(face.GetProperty("identity")))
            .Select(m => m.ValueKind == JsonValueKind.String ? $"identity {m.GetString()}" : $"{m.GetProperty("id").GetString()} {m.GetProperty("similarity").GetRawText()}")];

    private static string Run(string[] arguments)
    {
        (int code, string output, string error) = Execute(arguments);
        Assert.True(code == 0, $"swinface {string.Join(' ', arguments)} exited with {code}: {error}");
        return output;
    }

    private static (int Code, string Error) RunFailing(string[] arguments)
    {
        (int code, _, string error) = Execute(arguments);
        return (code, error);
    }

    private static (int Code, string Output, string Error) Execute(string[] arguments)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(Cli);
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using Process process = Process.Start(start)!;
        Task<string> error = process.StandardError.ReadToEndAsync();
        string output = process.StandardOutput.ReadToEnd();
        if (!process.WaitForExit(TimeSpan.FromMinutes(3)))
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"swinface {string.Join(' ', arguments)} did not finish in 3 minutes.");
        }

        return (process.ExitCode, output, error.Result);
    }

    /// <summary>A seeded random 112x112 image: an "aligned crop" whose embedding the tiny model computes.</summary>
    private string Crop(string fileName, int seed)
    {
        var random = new Random(seed);
        using var image = new Image<Rgb24>(112, 112);
        image.ProcessPixelRows(rows =>
        {
            for (int y = 0; y < rows.Height; y++)
            {
                foreach (ref Rgb24 pixel in rows.GetRowSpan(y))
                {
                    pixel = new Rgb24((byte)random.Next(256), (byte)random.Next(256), (byte)random.Next(256));
                }
            }
        });
        string path = Path.Combine(_folder, fileName);
        image.SaveAsPng(path);
        return path;
    }
}
