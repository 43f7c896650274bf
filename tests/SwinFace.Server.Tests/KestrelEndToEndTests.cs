using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace SwinFace.Server.Tests;

/// <summary>The service as users start it: a real process with Kestrel on loopback, stopped by SIGTERM while a request is in flight.</summary>
public sealed partial class KestrelEndToEndTests
{
    [Fact]
    public async Task RealKestrel_AnswersOnLoopback_AndDrainsARequestInFlightOnSigterm()
    {
        using var server = ServerProcess.Start();
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

    /// <summary>The built service, started as <c>dotnet SwinFace.Server.dll --model ... --urls http://127.0.0.1:0</c>.</summary>
    internal sealed partial class ServerProcess : IDisposable
    {
        public const string Key = "end-to-end-key";

        private readonly Process _process;

        private ServerProcess(Process process, Uri address)
        {
            _process = process;
            Address = address;
        }

        public Uri Address { get; }

        public static ServerProcess Start()
        {
            string configuration = AppContext.BaseDirectory.Contains("/Debug/", StringComparison.Ordinal) ? "Debug" : "Release";
            string dll = Path.Combine(TestData.RepoRoot, "src", "SwinFace.Server", "bin", configuration, "net10.0", "SwinFace.Server.dll");
            var start = new ProcessStartInfo("dotnet")
            {
                ArgumentList = { dll, "--model", TestData.TinyModel, "--urls", "http://127.0.0.1:0", "--SwinFace:Galleries:Store", "Memory" },
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                WorkingDirectory = Path.GetDirectoryName(dll)!,
                Environment = { ["SWINFACE_API_KEY"] = Key, ["ASPNETCORE_ENVIRONMENT"] = "Production" },
            };
            Process process = Process.Start(start)!;
            var listening = new TaskCompletionSource<Uri>(TaskCreationOptions.RunContinuationsAsynchronously);
            var output = new System.Collections.Concurrent.ConcurrentQueue<string>();
            process.OutputDataReceived += (_, e) =>
            {
                if (e.Data is null)
                {
                    return;
                }

                output.Enqueue(e.Data);
                if (Listening().Match(e.Data) is { Success: true } m)
                {
                    listening.TrySetResult(new Uri(m.Groups[1].Value));
                }
            };
            process.ErrorDataReceived += (_, e) => output.Enqueue(e.Data ?? string.Empty);
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            if (!listening.Task.Wait(TimeSpan.FromSeconds(90)))
            {
                process.Kill(entireProcessTree: true);
                throw new TimeoutException("the service did not start listening within 90 s:\n" + string.Join('\n', output));
            }

            return new ServerProcess(process, listening.Task.Result);
        }

        /// <summary>Sends SIGTERM, as a container runtime or systemd does to stop a service.</summary>
        public void Terminate() => Process.Start("kill", ["-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])!.WaitForExit();

        public int WaitForExit(TimeSpan timeout)
        {
            Assert.True(_process.WaitForExit(timeout), "the service did not exit after SIGTERM");
            return _process.ExitCode;
        }

        public void Dispose()
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
            }

            _process.Dispose();
        }

        [GeneratedRegex(@"Now listening on: (http://127\.0\.0\.1:\d+)")]
        private static partial Regex Listening();
    }
}
