using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using SwinFace.Analysis;

namespace SwinFace.Server.Tests;

/// <summary>No request can take the service down: size, images, pixels, queue, concurrency, timeouts and cancellation.</summary>
public sealed class LimitsTests
{
    [Fact]
    public async Task BodyOverTheLimit_Gives413()
    {
        using ServerFactory server = new ServerFactory().With("SwinFace:MaxRequestBytes", "100000");
        using HttpClient client = server.Client();
        using HttpResponseMessage raw = await client.PostAsync("/v1/analyze", new ByteArrayContent(new byte[150_000]));
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, raw.StatusCode);
        Assert.Contains("100,000 bytes", (await raw.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("detail").GetString(), StringComparison.Ordinal);

        var form = new MultipartFormDataContent { { new ByteArrayContent(new byte[150_000]), "a", "big.jpg" } };
        using HttpResponseMessage multipart = await client.PostAsync("/v1/analyze", form);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, multipart.StatusCode);
    }

    [Fact]
    public async Task MultipartBodyCutBeforeItsClosingBoundary_Gives400_Not500()
    {
        // Found through the request fuzz target's harness, replaying hand-cut bodies (tests/SwinFace.Fuzz/regressions/request): the form reader's IOException was a 500.
        using var server = new ServerFactory();
        using HttpClient client = server.Client();
        byte[] whole = await Requests.Form(("a", TestData.Photo("one-face-turned.jpg"))).ReadAsByteArrayAsync();
        using var cut = new ByteArrayContent(whole[..(whole.Length / 2)]);
        cut.Headers.TryAddWithoutValidation("Content-Type", "multipart/form-data; boundary=" + Boundary(whole));
        using HttpResponseMessage response = await client.PostAsync("/v1/analyze", cut);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        JsonElement problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("Bad multipart body", problem.GetProperty("title").GetString());
        Assert.Equal("The multipart body ends before its closing boundary.", problem.GetProperty("detail").GetString());

        static string Boundary(byte[] body) => System.Text.Encoding.ASCII.GetString(body, 2, Array.IndexOf(body, (byte)'\r') - 2);
    }

    [Fact]
    public async Task TooManyImages_Gives400()
    {
        using ServerFactory server = new ServerFactory().With("SwinFace:MaxImagesPerRequest", "2");
        using HttpClient client = server.Client();
        string photo = TestData.Photo("one-face-turned.jpg");
        using HttpResponseMessage response = await client.PostAsync("/v1/analyze", Requests.Form(("a", photo), ("b", photo), ("c", photo)));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("the most is 2", (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task TooManyPixels_Gives400WithTheLibrarysMessage_BeforeDecoding()
    {
        using ServerFactory server = new ServerFactory().With("SwinFace:MaxImagePixels", "1000000");
        using HttpClient client = server.Client();
        using HttpResponseMessage response = await client.PostAsync("/v1/analyze", Requests.Image(TestData.Photo("three-faces.jpg")));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("body: 1024 x 1024 pixels is over the limit of 1,000,000 pixels (FaceAnalyzerOptions.MaxImagePixels).", (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("detail").GetString());
    }

    [Fact]
    public async Task FacesPerImage_AreCappedByTheServer()
    {
        using ServerFactory server = new ServerFactory().With("SwinFace:MaxFacesPerImage", "1");
        using HttpClient client = server.Client();
        JsonElement doc = await (await client.PostAsync("/v1/analyze?tasks=age&maxFaces=3", Requests.Image(TestData.Photo("three-faces.jpg")))).Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(1, doc.GetProperty("images")[0].GetProperty("faces").GetArrayLength());
        Assert.Equal(2, doc.GetProperty("images")[0].GetProperty("skippedFaces").GetInt32());
    }

    [Fact]
    public async Task FullQueue_Gives503WithRetryAfter_AndTheServiceRecovers()
    {
        using ServerFactory server = new ServerFactory().With("SwinFace:MaxQueuedFaces", "1");
        using HttpClient client = server.Client();
        using var model = new HeldModel(server);

        // One face waits behind the held model run; the next request would make the queue 2.
        Task<HttpResponseMessage> queued = client.PostAsync("/v1/analyze?tasks=age", Requests.Image(TestData.Photo("one-face-turned.jpg")));
        await model.WaitForQueuedFaces(1);
        using HttpResponseMessage refused = await client.PostAsync("/v1/analyze?tasks=age", Requests.Image(TestData.Photo("one-face-turned.jpg")));

        Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);
        Assert.True(refused.Headers.RetryAfter?.Delta >= TimeSpan.FromSeconds(1), $"Retry-After: {refused.Headers.RetryAfter}");
        Assert.Contains("MaxQueuedFaces", (await refused.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("detail").GetString(), StringComparison.Ordinal);

        model.Release();
        using HttpResponseMessage first = await queued.WaitAsync(TimeSpan.FromSeconds(60));
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        using HttpResponseMessage again = await client.PostAsync("/v1/analyze?tasks=age", Requests.Image(TestData.Photo("one-face-turned.jpg")));
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
    }

    [Fact]
    public async Task TooManyConcurrentRequests_Gives503AtOnce()
    {
        using ServerFactory server = new ServerFactory().With("SwinFace:MaxConcurrentRequests", "1");
        using HttpClient client = server.Client();
        using var model = new HeldModel(server);
        Task<HttpResponseMessage> inProgress = client.PostAsync("/v1/analyze?tasks=age", Requests.Image(TestData.Photo("one-face-turned.jpg")));
        await model.WaitForQueuedFaces(1);

        using HttpResponseMessage refused = await client.PostAsync("/v1/analyze?tasks=age", Requests.Image(TestData.Photo("one-face-turned.jpg")));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);
        Assert.NotNull(refused.Headers.RetryAfter);
        Assert.Contains("MaxConcurrentRequests", (await refused.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("detail").GetString(), StringComparison.Ordinal);

        // Health needs no permit.
        using HttpResponseMessage health = await client.GetAsync("/healthz");
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);

        model.Release();
        Assert.Equal(HttpStatusCode.OK, (await inProgress.WaitAsync(TimeSpan.FromSeconds(60))).StatusCode);
    }

    [Fact]
    public async Task TimedOutRequest_Gives504_AndItsFacesLeaveTheQueue()
    {
        using ServerFactory server = new ServerFactory().With("SwinFace:RequestTimeout", "00:00:01");
        using HttpClient client = server.Client();
        using var model = new HeldModel(server);

        using HttpResponseMessage response = await client.PostAsync("/v1/analyze?tasks=age", Requests.Image(TestData.Photo("three-faces.jpg"))).WaitAsync(TimeSpan.FromSeconds(60));

        Assert.Equal(HttpStatusCode.GatewayTimeout, response.StatusCode);
        Assert.Contains("RequestTimeout", (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal(0, model.Analyzer.Scheduler.QueuedFaces);
    }

    [Fact]
    public async Task CancelledRequest_TakesItsFacesOutOfTheQueue()
    {
        using ServerFactory server = new();
        using HttpClient client = server.Client();
        using var model = new HeldModel(server);
        using var cancel = new CancellationTokenSource();
        Task<HttpResponseMessage> request = client.PostAsync("/v1/analyze?tasks=age", Requests.Image(TestData.Photo("three-faces.jpg")), cancel.Token);
        await model.WaitForQueuedFaces(3);

        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => request);
        await model.WaitForQueuedFaces(0);
    }

    /// <summary>Holds the model inside a run until released, so that requests queue behind it.</summary>
    private sealed class HeldModel : IDisposable
    {
        private readonly ManualResetEventSlim _inRun = new();
        private readonly ManualResetEventSlim _release = new();
        private readonly Task _run;

        public HeldModel(ServerFactory server)
        {
            Analyzer = server.Services.GetRequiredService<FaceAnalyzer>();
            byte[] face = new byte[112 * 112 * 3];
            _run = Task.Run(() => Analyzer.Scheduler.Run(1, FaceTasks.Identity, (_, rgb) =>
            {
                _inRun.Set();
                _release.Wait();
                face.CopyTo(rgb);
            }));
            Assert.True(_inRun.Wait(TimeSpan.FromSeconds(30)), "the model run did not start");
        }

        public FaceAnalyzer Analyzer { get; }

        public async Task WaitForQueuedFaces(int faces)
        {
            for (int i = 0; i < 3000 && Analyzer.Scheduler.QueuedFaces != faces; i++)
            {
                await Task.Delay(10);
            }

            Assert.Equal(faces, Analyzer.Scheduler.QueuedFaces);
        }

        public void Release() => _release.Set();

        public void Dispose()
        {
            _release.Set();
            _run.Wait(TimeSpan.FromSeconds(60));
            _inRun.Dispose();
            _release.Dispose();
        }
    }
}
