using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace SwinFace.Server.Tests;

/// <summary>Health, readiness, metrics, the OpenAPI document and its browsable UI, and settings checked at start-up.</summary>
public sealed class OperationsTests(ServerFactory factory) : IClassFixture<ServerFactory>
{
    [Fact]
    public async Task Healthz_AndReadyz_NeedNoKey()
    {
        using HttpClient client = factory.Client(key: null);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/healthz")).StatusCode);
        using HttpResponseMessage ready = await client.GetAsync("/readyz");
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        JsonElement body = await ready.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("ready", body.GetProperty("status").GetString());
        Assert.Equal(1, body.GetProperty("faces").GetInt32());
        Assert.Equal("fp32", body.GetProperty("precision").GetString());
    }

    [Fact]
    public async Task Readyz_FailsWhenTheModelFindsNoFace()
    {
        string blank = Path.Combine(Path.GetTempPath(), $"swinface-blank-{Guid.NewGuid():N}.png");
        using (var image = new SixLabors.ImageSharp.Image<SixLabors.ImageSharp.PixelFormats.Rgb24>(256, 256))
        {
            SixLabors.ImageSharp.ImageExtensions.SaveAsPng(image, blank);
        }

        try
        {
            using ServerFactory server = new ServerFactory().With("SwinFace:ReadinessPhoto", blank);
            using HttpClient client = server.Client(key: null);
            using HttpResponseMessage ready = await client.GetAsync("/readyz");
            Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
            Assert.Contains("gave no face", await ready.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(blank);
        }
    }

    [Fact]
    public async Task Metrics_ReportFacesBatchesQueueRequestsAndRejections()
    {
        using HttpClient client = factory.Client();
        Assert.Equal(HttpStatusCode.OK, (await client.PostAsync("/v1/analyze?tasks=age", Requests.Image(TestData.Photo("three-faces.jpg")))).StatusCode);
        string metrics = string.Empty;
        for (int i = 0; i < 50 && !metrics.Contains("swinface_faces_total", StringComparison.Ordinal); i++)
        {
            // The Prometheus exporter caches a scrape briefly.
            await Task.Delay(100);
            metrics = await client.GetStringAsync("/metrics");
        }

        foreach (string name in new[] { "swinface_faces_total", "swinface_batch_size_bucket", "swinface_batch_duration_seconds_bucket", "swinface_queue_faces", "http_server_request_duration_seconds_bucket", "swinface_server_images_total" })
        {
            Assert.Contains(name, metrics, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task OpenApiDocument_ListsTheEndpoints_AndTheUiIsServed()
    {
        using HttpClient client = factory.Client(key: null);
        JsonElement doc = await client.GetFromJsonAsync<JsonElement>("/openapi/v1.json");
        string[] paths = [.. doc.GetProperty("paths").EnumerateObject().Select(p => p.Name)];
        foreach (string path in new[] { "/v1/analyze", "/v1/compare", "/v1/galleries", "/v1/galleries/{name}/identify", "/v1/galleries/{name}/identities/{id}", "/readyz" })
        {
            Assert.Contains(path, paths);
        }

        // Image bodies are documented, although the handlers read them from the request.
        JsonElement analyze = doc.GetProperty("paths").GetProperty("/v1/analyze").GetProperty("post");
        Assert.True(analyze.GetProperty("requestBody").GetProperty("content").TryGetProperty("multipart/form-data", out _));
        Assert.Contains("analyze", analyze.GetProperty("description").GetString(), StringComparison.Ordinal);

        using HttpResponseMessage ui = await client.GetAsync("/scalar/v1");
        Assert.Equal(HttpStatusCode.OK, ui.StatusCode);
        Assert.Equal("text/html", ui.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task UnknownRoute_Gives404Problem()
    {
        using HttpClient client = factory.Client();
        using HttpResponseMessage response = await client.GetAsync("/v1/nothing-here");
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    [Theory]
    [InlineData("SwinFace:Model", "/nonexistent/model.swinface", "does not exist")]
    [InlineData("SwinFace:MaxQueuedFaces", "0", "MaxQueuedFaces must be at least 1")]
    [InlineData("SwinFace:ApiKeys:9:Sha256", "abc", "64 hexadecimal digits")]
    [InlineData("SwinFace:Galleries:Store", "Postgres", "no connection string")]
    public void BadSettings_StopTheServiceAtStartUp_NamingTheSetting(string key, string value, string message)
    {
        using ServerFactory server = new ServerFactory().With(key, value);
        Exception e = Assert.ThrowsAny<Exception>(() => server.CreateClient());
        Assert.Contains(message, e.ToString(), StringComparison.Ordinal);
    }
}
