using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace SwinFace.Server.Tests;

/// <summary>The service as users start it: a real process with Kestrel on loopback: every endpoint, and SIGTERM while a request is in flight.</summary>
public sealed class KestrelEndToEndTests
{
    [Fact]
    public async Task RealKestrel_AnswersOnLoopback_AndDrainsARequestInFlightOnSigterm()
    {
        using var server = ServerProcess.Start(TestData.RepoRoot, TestData.TinyModel);
        using var client = new HttpClient { BaseAddress = server.Address, Timeout = TimeSpan.FromSeconds(120) };
        client.DefaultRequestHeaders.Add("X-Api-Key", ServerProcess.Key);
        Assert.Equal("127.0.0.1", server.Address.Host);

        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/healthz")).StatusCode);
        using HttpResponseMessage first = await client.PostAsync("/v1/analyze?tasks=age", Requests.Image(TestData.Photo("three-faces.jpg")));
        JsonElement doc = await first.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(3, doc.GetProperty("images")[0].GetProperty("faces").GetArrayLength());

        // A request whose body is half sent when the service is told to stop: it must still be answered in full.
        using var upload = new SlowContent(File.ReadAllBytes(TestData.Photo("three-faces.jpg")));
        Task<HttpResponseMessage> inFlight = client.PostAsync("/v1/analyze?tasks=age", upload);
        await upload.HalfSent.WaitAsync(TimeSpan.FromSeconds(60));
        server.Terminate();
        await Task.Delay(500);
        upload.SendRest();

        using HttpResponseMessage drained = await inFlight.WaitAsync(TimeSpan.FromSeconds(60));
        Assert.Equal(HttpStatusCode.OK, drained.StatusCode);
        Assert.Equal(3, (await drained.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("images")[0].GetProperty("faces").GetArrayLength());
        Assert.Equal(0, server.WaitForExit(TimeSpan.FromSeconds(60)));
    }

    [Fact]
    public async Task RealKestrel_ServesEveryEndpoint_WithGalleriesInAFolder()
    {
        string folder = Directory.CreateTempSubdirectory("swinface-kestrel-").FullName;
        try
        {
            using var server = ServerProcess.Start(TestData.RepoRoot, TestData.TinyModel, "--SwinFace:Galleries:Store", "Folder", "--SwinFace:Galleries:Folder", folder);
            using var client = new HttpClient { BaseAddress = server.Address, Timeout = TimeSpan.FromSeconds(120) };
            string turned = TestData.Photo("one-face-turned.jpg"), three = TestData.Photo("three-faces.jpg");

            // Without a key: 401 as a problem, while health, readiness, metrics and the API's description are open.
            using (HttpResponseMessage anonymous = await client.PostAsync("/v1/analyze", Requests.Image(three)))
            {
                Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
                Assert.Equal("application/problem+json", anonymous.Content.Headers.ContentType?.MediaType);
            }

            Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/healthz")).StatusCode);
            Assert.Equal("ready", (await client.GetFromJsonAsync<JsonElement>("/readyz")).GetProperty("status").GetString());
            Assert.Contains("/v1/galleries/{name}/identify", (await client.GetStringAsync("/openapi/v1.json")).Replace("\\/", "/", StringComparison.Ordinal), StringComparison.Ordinal);
            Assert.Equal("text/html", (await client.GetAsync("/scalar/v1")).Content.Headers.ContentType?.MediaType);

            client.DefaultRequestHeaders.Add("X-Api-Key", ServerProcess.Key);

            // Two images in one multipart request, with options.
            using (HttpResponseMessage analyzed = await client.PostAsync("/v1/analyze?tasks=age,identity&maxFaces=2", Requests.Form(("a", three), ("b", turned))))
            {
                Assert.Equal(HttpStatusCode.OK, analyzed.StatusCode);
                JsonElement images = (await analyzed.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("images");
                Assert.Equal([2, 1], images.EnumerateArray().Select(i => i.GetProperty("faces").GetArrayLength()));
            }

            using HttpResponseMessage compare = await client.PostAsync("/v1/compare", Requests.Form(("a", turned), ("b", turned)));
            JsonElement compared = await compare.Content.ReadFromJsonAsync<JsonElement>();
            Assert.Equal(1f, compared.GetProperty("similarity").GetSingle(), 1e-5f);

            // A gallery's life: create, enrol, list, identify, rename, remove, delete; saved in the folder on the way.
            Assert.Equal(HttpStatusCode.Created, (await client.PostAsJsonAsync("/v1/galleries", new { name = "staff" })).StatusCode);
            Assert.Equal(HttpStatusCode.OK, (await client.PostAsync("/v1/galleries/staff/identities/ana", Requests.Form(("p", turned)))).StatusCode);
            Assert.Equal(HttpStatusCode.OK, (await client.PostAsync("/v1/galleries/staff/identities/ben", Requests.Form(("p", three)))).StatusCode);
            Assert.True(File.Exists(Path.Combine(folder, "staff.gallery")));
            Assert.Equal(["staff"], (await client.GetFromJsonAsync<JsonElement>("/v1/galleries")).EnumerateArray().Select(g => g.GetProperty("name").GetString()));
            Assert.Equal(2, (await client.GetFromJsonAsync<JsonElement>("/v1/galleries/staff")).GetProperty("identities").GetInt32());
            using HttpResponseMessage identify = await client.PostAsync("/v1/galleries/staff/identify?k=2", Requests.Form(("p", turned)));
            JsonElement identified = await identify.Content.ReadFromJsonAsync<JsonElement>();
            JsonElement best = identified.GetProperty("images")[0].GetProperty("faces")[0].GetProperty("matches")[0];
            Assert.Equal("ana", best.GetProperty("id").GetString());
            Assert.Equal(1f, best.GetProperty("similarity").GetSingle(), 1e-5f);
            Assert.Equal(HttpStatusCode.OK, (await client.PatchAsJsonAsync("/v1/galleries/staff/identities/ana", new { newId = "anna" })).StatusCode);
            Assert.Equal(HttpStatusCode.NoContent, (await client.DeleteAsync("/v1/galleries/staff/identities/ben")).StatusCode);
            Assert.Equal(["anna"], (await client.GetFromJsonAsync<JsonElement>("/v1/galleries/staff/identities")).GetProperty("identities").EnumerateArray().Select(i => i.GetProperty("id").GetString()));
            Assert.Equal(HttpStatusCode.NoContent, (await client.DeleteAsync("/v1/galleries/staff")).StatusCode);
            Assert.False(File.Exists(Path.Combine(folder, "staff.gallery")));

            string metrics = await client.GetStringAsync("/metrics");
            for (int i = 0; i < 50 && !metrics.Contains("swinface_faces_total", StringComparison.Ordinal); i++)
            {
                await Task.Delay(100);
                metrics = await client.GetStringAsync("/metrics");
            }

            Assert.Contains("swinface_faces_total", metrics, StringComparison.Ordinal);
            server.Terminate();
            Assert.Equal(0, server.WaitForExit(TimeSpan.FromSeconds(60)));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    /// <summary>Sends half its bytes, then waits for <see cref="SendRest"/>.</summary>
    private sealed class SlowContent(byte[] data) : HttpContent
    {
        private readonly TaskCompletionSource _rest = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly TaskCompletionSource _half = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task HalfSent => _half.Task;

        public void SendRest() => _rest.TrySetResult();

        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context)
        {
            await stream.WriteAsync(data.AsMemory(0, data.Length / 2));
            await stream.FlushAsync();
            _half.TrySetResult();
            await _rest.Task;
            await stream.WriteAsync(data.AsMemory(data.Length / 2));
        }

        protected override bool TryComputeLength(out long length)
        {
            length = data.Length;
            return true;
        }
    }
}
