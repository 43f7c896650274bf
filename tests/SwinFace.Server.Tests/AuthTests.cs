using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace SwinFace.Server.Tests;

/// <summary>API keys: none gives 401, an unknown one 401, one without the scope 403, all as problem details.</summary>
public sealed class AuthTests(ServerFactory factory) : IClassFixture<ServerFactory>
{
    [Fact]
    public async Task NoKey_Gives401ProblemWithChallenge()
    {
        using HttpClient client = factory.Client(key: null);
        using HttpResponseMessage response = await client.PostAsync("/v1/analyze", Requests.Image(TestData.Photo("three-faces.jpg")));

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("X-Api-Key", response.Headers.WwwAuthenticate.ToString(), StringComparison.Ordinal);
        JsonElement problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(401, problem.GetProperty("status").GetInt32());
        Assert.Contains("X-Api-Key", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task UnknownKey_Gives401_AndTheKeyIsNotEchoed()
    {
        using HttpClient client = factory.Client(key: null);
        client.DefaultRequestHeaders.Add("X-Api-Key", "not-a-key-4711");
        using HttpResponseMessage response = await client.GetAsync("/v1/galleries");

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        string body = await response.Content.ReadAsStringAsync();
        Assert.Contains("not known", body, StringComparison.Ordinal);
        Assert.DoesNotContain("4711", body, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("galleries", "/v1/analyze")]
    [InlineData("reader-a", "/v1/compare")]
    [InlineData("analyst", "/v1/galleries/a/identify")]
    [InlineData("writer-a", "/v1/galleries/a/identify")]
    [InlineData("reader-a", "/v1/galleries/b/identify")]
    [InlineData("reader-a", "/v1/galleries/a/identities/x")]
    public async Task KeyWithoutTheScope_Gives403Problem(string key, string path)
    {
        using HttpClient client = factory.Client(key);
        using HttpResponseMessage response = await client.PostAsync(path, Requests.Form(("a", TestData.Photo("three-faces.jpg"))));

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        JsonElement problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(403, problem.GetProperty("status").GetInt32());
        Assert.Contains("scope", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task GalleryScopes_AreCheckedPerGallery()
    {
        using HttpClient admin = factory.Client("galleries");
        foreach (string name in new[] { "a", "b" })
        {
            using HttpResponseMessage created = await admin.PostAsJsonAsync("/v1/galleries", new { name });
            Assert.True(created.StatusCode is HttpStatusCode.Created or HttpStatusCode.Conflict, created.StatusCode.ToString());
        }

        using HttpClient writerA = factory.Client("writer-a");
        using (HttpResponseMessage denied = await writerA.PostAsJsonAsync("/v1/galleries", new { name = "c" }))
        {
            Assert.Equal(HttpStatusCode.Forbidden, denied.StatusCode);
        }

        using (HttpResponseMessage enrolled = await writerA.PostAsync("/v1/galleries/a/identities/someone", Requests.Form(("p", TestData.Photo("one-face-turned.jpg")))))
        {
            Assert.Equal(HttpStatusCode.OK, enrolled.StatusCode);
        }

        using (HttpResponseMessage denied = await writerA.DeleteAsync("/v1/galleries/b"))
        {
            Assert.Equal(HttpStatusCode.Forbidden, denied.StatusCode);
        }

        // A reader of a alone sees a alone.
        using HttpClient readerA = factory.Client("reader-a");
        JsonElement list = await readerA.GetFromJsonAsync<JsonElement>("/v1/galleries");
        Assert.Equal(["a"], list.EnumerateArray().Select(g => g.GetProperty("name").GetString()));
        using (HttpResponseMessage identified = await readerA.PostAsync("/v1/galleries/a/identify", Requests.Form(("p", TestData.Photo("one-face-turned.jpg")))))
        {
            Assert.Equal(HttpStatusCode.OK, identified.StatusCode);
        }

        // An analyst reads no gallery: listing them is refused, not an empty list.
        using HttpClient analyst = factory.Client("analyst");
        using HttpResponseMessage none = await analyst.GetAsync("/v1/galleries");
        Assert.Equal(HttpStatusCode.Forbidden, none.StatusCode);
    }

    [Fact]
    public async Task EnvironmentKey_HasEveryScope()
    {
        using ServerFactory server = new ServerFactory().With("SWINFACE_API_KEY", "first-try");
        using HttpClient client = server.Client(key: null);
        client.DefaultRequestHeaders.Add("X-Api-Key", "first-try");
        using HttpResponseMessage response = await client.PostAsync("/v1/analyze?tasks=age", Requests.Image(TestData.Photo("one-face-turned.jpg")));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }
}
