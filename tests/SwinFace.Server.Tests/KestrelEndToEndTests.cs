using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace SwinFace.Server.Tests;

/// <summary>The service as users start it: a real process with Kestrel on loopback, stopped by SIGTERM while a request is in flight.</summary>
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
