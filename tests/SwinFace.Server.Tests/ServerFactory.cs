using System.Net.Http.Headers;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using SwinFace.Server.Security;

namespace SwinFace.Server.Tests;

/// <summary>Paths of the repository's test data.</summary>
internal static class TestData
{
    public static readonly string RepoRoot = FindRoot();

    public static string TinyModel => Path.Combine(RepoRoot, "models", "testdata", "swinface-tiny.swinface");

    public static string Photo(string name) => Path.Combine(RepoRoot, "..", "shared", "testdata", "photos", name);

    public static string Golden(string name) => Path.Combine(RepoRoot, "models", "testdata", "golden-tiny", name);

    private static string FindRoot()
    {
        for (string? dir = AppContext.BaseDirectory; dir is not null; dir = Path.GetDirectoryName(dir))
        {
            if (File.Exists(Path.Combine(dir, "SwinFace.sln")))
            {
                return dir;
            }
        }

        throw new InvalidOperationException("SwinFace.sln not found above " + AppContext.BaseDirectory);
    }
}

/// <summary>The service in process, on the tiny test model, with galleries in memory and one key per kind of scope.</summary>
public class ServerFactory : WebApplicationFactory<Program>
{
    /// <summary>Keys by name: every scope, analysis only, galleries read and write, read or write of gallery <c>a</c>.</summary>
    public static readonly IReadOnlyDictionary<string, (string Key, string[] Scopes)> Keys = new Dictionary<string, (string, string[])>
    {
        ["all"] = ("key-all", ["*"]),
        ["analyst"] = ("key-analyst", ["analyze"]),
        ["galleries"] = ("key-galleries", ["galleries:read", "galleries:write"]),
        ["reader-a"] = ("key-reader-a", ["gallery:a:read"]),
        ["writer-a"] = ("key-writer-a", ["gallery:a:write"]),
    };

    private readonly Dictionary<string, string?> _settings = new()
    {
        ["SwinFace:Model"] = TestData.TinyModel,
        ["SwinFace:Galleries:Store"] = "Memory",
    };

    /// <summary>Overrides a setting before the service starts.</summary>
    public ServerFactory With(string key, string? value)
    {
        _settings[key] = value;
        return this;
    }

    /// <summary>A client that sends the key of the given name (none for <see langword="null"/>).</summary>
    public HttpClient Client(string? key = "all")
    {
        HttpClient client = CreateClient();
        if (key is not null)
        {
            client.DefaultRequestHeaders.Add(ApiKeyHandler.Header, Keys[key].Key);
        }

        return client;
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        int i = 0;
        foreach ((string name, (string key, string[] scopes)) in Keys)
        {
            builder.UseSetting($"SwinFace:ApiKeys:{i}:Name", name);
            builder.UseSetting($"SwinFace:ApiKeys:{i}:Sha256", ApiKeyOptions.Hash(key));
            for (int s = 0; s < scopes.Length; s++)
            {
                builder.UseSetting($"SwinFace:ApiKeys:{i}:Scopes:{s}", scopes[s]);
            }

            i++;
        }

        foreach ((string key, string? value) in _settings)
        {
            builder.UseSetting(key, value);
        }

        builder.UseSetting("Logging:LogLevel:Default", "Warning");
    }
}

/// <summary>Helpers to build requests.</summary>
internal static class Requests
{
    public static ByteArrayContent Image(string path)
    {
        var content = new ByteArrayContent(File.ReadAllBytes(path));
        content.Headers.ContentType = new MediaTypeHeaderValue("image/jpeg");
        return content;
    }

    public static MultipartFormDataContent Form(params (string Field, string Path)[] files)
    {
        var form = new MultipartFormDataContent();
        foreach ((string field, string path) in files)
        {
            form.Add(new ByteArrayContent(File.ReadAllBytes(path)), field, Path.GetFileName(path));
        }

        return form;
    }
}
