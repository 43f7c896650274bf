using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using SwinFace;
using SwinFace.Analysis;
using SwinFace.Server.Tests;

// The service under load, on loopback only, each phase bounded in time and requests:
//   dotnet run -c Release --project tests/SwinFace.LoadTest -- --model MODEL [--clients 16] [--seconds 60] [--rounds 3]
//       [--overload 4] [--recovery-seconds 20] [--max-requests 20000] [--max-batch 8] [--smoke] [PHOTO ...]
// 1. normal load, in ROUNDS turns of SECONDS / ROUNDS each: the library in process (CLIENTS threads calling
//    AnalyzePhoto, with the service's batch size), then the service (a separate process on 127.0.0.1) with CLIENTS
//    clients: faces/s of each, latency, statuses. Turns, because this machine has slow phases of 10-20%: a library
//    figure taken a minute before the service's would compare two phases, not two programs;
// 2. OVERLOAD x CLIENTS clients for SECONDS: 503s against timeouts, the service's peak RSS;
// 3. CLIENTS clients again for RECOVERY-SECONDS: the service recovers.
// Throughput counts the faces of the calls that end inside a phase's time, over that time (calls still in flight
// at the end are answered, and count towards latency only), the same way on both sides.
// --smoke checks the mechanics only (every phase answered, no 5xx but 503 and 504, a clean exit), for CI's short run.
var options = LoadOptions.Parse(args);
string root = FindRoot();
byte[][] photos = [.. options.Photos.Select(File.ReadAllBytes)];
Console.WriteLine(FormattableString.Invariant($"load test: model {Path.GetFileName(options.Model)}, {photos.Length} photos, {options.Clients} clients, {options.Seconds} s a phase in {options.Rounds} turns, overload x{options.Overload}, at most {options.MaxRequests} requests a phase"));

// The service's own settings for the analyzer, so that the comparison is of the HTTP layer alone.
using FaceAnalyzer analyzer = FaceAnalyzer.Create(options.Model, new FaceAnalyzerOptions { MaxBatchSize = options.MaxBatch });
using ServerProcess server = ServerProcess.Start(root, options.Model, "--SwinFace:MaxBatchSize", options.MaxBatch.ToString(CultureInfo.InvariantCulture));
using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = options.Clients * options.Overload, PooledConnectionLifetime = TimeSpan.FromMinutes(10) })
{
    BaseAddress = server.Address,
    Timeout = TimeSpan.FromSeconds(options.ClientTimeoutSeconds),
};
http.DefaultRequestHeaders.Add("X-Api-Key", ServerProcess.Key);
// Warm-up, unmeasured: enough calls for .NET's tiered compilation to have optimised both sides' per-call code.
int warmup = options.Smoke ? 2 : 15;
LibraryFacesPerSecond(analyzer, photos, options.Clients, warmup, options.MaxRequests);
await Phase.RunAsync(http, photos, options.Clients, warmup, options.MaxRequests, null);

int slice = Math.Max(1, options.Seconds / options.Rounds);
var libraryTurns = new List<double>();
var normal = new Phase.Result(options.Clients);
var ratios = new List<double>();
for (int round = 0; round < options.Rounds; round++)
{
    double library = LibraryFacesPerSecond(analyzer, photos, options.Clients, slice, options.MaxRequests);
    var turn = new Phase.Result(options.Clients);
    await Phase.RunAsync(http, photos, options.Clients, slice, options.MaxRequests, server.Id, turn, normal);
    libraryTurns.Add(library);
    ratios.Add(turn.FacesPerSecond / library);
    Console.WriteLine(FormattableString.Invariant($"turn {round + 1}: library {library:F2} faces/s, service {turn.FacesPerSecond:F2} faces/s ({turn.FacesPerSecond / library:P1})"));
}

double libraryRate = libraryTurns.Average();
Phase.Result overload = await Phase.RunAsync(http, photos, options.Clients * options.Overload, options.Seconds, options.MaxRequests, server.Id);
Phase.Result recovery = await Phase.RunAsync(http, photos, options.Clients, options.RecoverySeconds, options.MaxRequests, server.Id);
long peakRss = Phase.ReadStatusKb(server.Id, "VmHWM");
server.Terminate();
int exit = server.WaitForExit(TimeSpan.FromSeconds(60));

Console.WriteLine();
Console.WriteLine("| phase | clients | seconds | requests | faces/s | vs library | 200 | 503 | 504 | other 5xx | client timeouts | p50 ms | p95 ms | p99 ms | RSS max MB |");
Console.WriteLine("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|");
foreach ((string name, Phase.Result r) in new[] { ("normal", normal), ("overload", overload), ("recovery", recovery) })
{
    Console.WriteLine(FormattableString.Invariant(
        $"| {name} | {r.Clients} | {r.Seconds:F1} | {r.Requests} | {r.FacesPerSecond:F2} | {r.FacesPerSecond / libraryRate:P1} | {r.Ok} | {r.Busy} | {r.TimedOut} | {r.OtherErrors} | {r.ClientTimeouts} | {r.Percentile(50):F0} | {r.Percentile(95):F0} | {r.Percentile(99):F0} | {r.MaxRssMb:F0} |"));
}

double median = ratios.Order().ElementAt(ratios.Count / 2);
Console.WriteLine(FormattableString.Invariant($"library in process: {libraryRate:F2} faces/s (turns {string.Join(", ", libraryTurns.Select(t => t.ToString("F2", CultureInfo.InvariantCulture)))}); service in turns with it: {normal.FacesPerSecond / libraryRate:P1} (median turn {median:P1}); service peak RSS (VmHWM) {peakRss / 1024.0:F0} MB; exit code after SIGTERM {exit}"));
bool met = options.Smoke
    ? normal.Ok > 0 && recovery.Ok > 0 && normal.OtherErrors + overload.OtherErrors + recovery.OtherErrors == 0 && exit == 0
    : normal.FacesPerSecond >= 0.9 * libraryRate && normal.Busy + normal.TimedOut + normal.OtherErrors == 0
    && overload.ClientTimeouts == 0 && overload.OtherErrors == 0 && recovery.Busy + recovery.TimedOut + recovery.OtherErrors == 0 && exit == 0;
Console.WriteLine(options.Smoke ? (met ? "smoke: ok" : "smoke: FAILED") : met ? "targets: met" : "targets: NOT met");
return met ? 0 : 1;

static double LibraryFacesPerSecond(FaceAnalyzer analyzer, byte[][] photos, int clients, int seconds, int maxRequests)
{
    long faces = 0, requests = 0;
    var clock = Stopwatch.StartNew();
    TimeSpan end = TimeSpan.FromSeconds(seconds);
    Thread[] threads = [.. Enumerable.Range(0, clients).Select(c => new Thread(() =>
    {
        for (int i = c; clock.Elapsed < end && Interlocked.Increment(ref requests) <= maxRequests; i++)
        {
            int found = analyzer.AnalyzePhoto(photos[i % photos.Length], FaceTasks.All).Faces.Count;
            if (clock.Elapsed <= end)
            {
                Interlocked.Add(ref faces, found);
            }
        }
    }))];
    Array.ForEach(threads, t => t.Start());
    Array.ForEach(threads, t => t.Join());
    return faces / end.TotalSeconds;
}

static string FindRoot()
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

/// <summary>The command line.</summary>
internal sealed record LoadOptions(string Model, int Clients, int Seconds, int Rounds, int Overload, int RecoverySeconds, int MaxRequests, int ClientTimeoutSeconds, int MaxBatch, bool Smoke, string[] Photos)
{
    public static LoadOptions Parse(string[] args)
    {
        string? model = null;
        int clients = 16, seconds = 60, rounds = 3, overload = 4, recovery = 20, maxRequests = 20_000, timeout = 60, maxBatch = 8;
        bool smoke = false;
        var photos = new List<string>();
        for (int i = 0; i < args.Length; i++)
        {
            int Next() => int.Parse(args[++i], CultureInfo.InvariantCulture);
            switch (args[i])
            {
                case "--model": model = args[++i]; break;
                case "--clients": clients = Next(); break;
                case "--seconds": seconds = Next(); break;
                case "--rounds": rounds = Next(); break;
                case "--overload": overload = Next(); break;
                case "--recovery-seconds": recovery = Next(); break;
                case "--max-requests": maxRequests = Next(); break;
                case "--client-timeout": timeout = Next(); break;
                case "--smoke": smoke = true; break;
                case "--max-batch": maxBatch = Next(); break;
                default: photos.Add(args[i]); break;
            }
        }

        if (model is null)
        {
            throw new ArgumentException("--model MODEL is required");
        }

        if (photos.Count == 0)
        {
            photos.AddRange(["../shared/testdata/photos/three-faces.jpg", "../shared/testdata/photos/one-face-turned.jpg"]);
        }

        return new LoadOptions(model, clients, seconds, Math.Max(1, rounds), overload, recovery, maxRequests, timeout, maxBatch, smoke, [.. photos]);
    }
}

/// <summary>One phase: clients posting photos to /v1/analyze until the time or the request budget is spent.</summary>
internal static class Phase
{
    /// <summary>Runs a phase into <paramref name="result"/> (a new one if null), and into <paramref name="total"/> too if given.</summary>
    public static async Task<Result> RunAsync(HttpClient http, byte[][] photos, int clients, int seconds, int maxRequests, int? serverPid, Result? result = null, Result? total = null)
    {
        result ??= new Result(clients);
        Result[] into = total is null ? [result] : [result, total];
        long sent = 0;
        var clock = Stopwatch.StartNew();
        TimeSpan end = TimeSpan.FromSeconds(seconds);
        using var stopSampling = new CancellationTokenSource();
        Task sampling = serverPid is int pid ? SampleRssAsync(pid, into, stopSampling.Token) : Task.CompletedTask;
        await Task.WhenAll(Enumerable.Range(0, clients).Select(async c =>
        {
            for (int i = c; clock.Elapsed < end && Interlocked.Increment(ref sent) <= maxRequests; i++)
            {
                using var content = new ByteArrayContent(photos[i % photos.Length]);
                content.Headers.ContentType = new MediaTypeHeaderValue("image/jpeg");
                long start = Stopwatch.GetTimestamp();
                try
                {
                    using HttpResponseMessage response = await http.PostAsync("/v1/analyze", content);
                    byte[] body = await response.Content.ReadAsByteArrayAsync();
                    int faces = response.IsSuccessStatusCode && clock.Elapsed <= end ? CountFaces(body) : 0;
                    Array.ForEach(into, r => r.Record(response.StatusCode, Stopwatch.GetElapsedTime(start).TotalMilliseconds, faces));
                    if (response.StatusCode == HttpStatusCode.ServiceUnavailable)
                    {
                        // A client that honours Retry-After would wait; a load generator backs off briefly instead.
                        await Task.Delay(100);
                    }
                }
                catch (TaskCanceledException)
                {
                    Array.ForEach(into, r => r.ClientTimeout());
                }
            }
        }));
        Array.ForEach(into, r => r.Seconds += end.TotalSeconds);
        await stopSampling.CancelAsync();
        await sampling;
        return result;
    }

    public static long ReadStatusKb(int pid, string field)
    {
        foreach (string line in File.ReadLines($"/proc/{pid}/status"))
        {
            if (line.StartsWith(field + ":", StringComparison.Ordinal))
            {
                return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture);
            }
        }

        return 0;
    }

    private static int CountFaces(byte[] body)
    {
        using var doc = JsonDocument.Parse(body);
        return doc.RootElement.GetProperty("images").EnumerateArray().Sum(i => i.GetProperty("faces").GetArrayLength());
    }

    private static async Task SampleRssAsync(int pid, Result[] into, CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            double mb = ReadStatusKb(pid, "VmRSS") / 1024.0;
            Array.ForEach(into, r => r.Rss(mb));
            try
            {
                await Task.Delay(250, stop);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }
    }

    /// <summary>What a phase measured.</summary>
    internal sealed class Result(int clients)
    {
        private readonly List<double> _latencies = [];
        private readonly object _gate = new();
        private long _faces;

        public int Clients { get; } = clients;

        public double Seconds { get; set; }

        public int Requests { get; private set; }

        public int Ok { get; private set; }

        public int Busy { get; private set; }

        public int TimedOut { get; private set; }

        public int OtherErrors { get; private set; }

        public int ClientTimeouts { get; private set; }

        public double MaxRssMb { get; private set; }

        public double FacesPerSecond => Interlocked.Read(ref _faces) / Seconds;

        public void Record(HttpStatusCode status, double ms, int faces)
        {
            lock (_gate)
            {
                Requests++;
                switch (status)
                {
                    case HttpStatusCode.OK:
                        Ok++;
                        _latencies.Add(ms);
                        _faces += faces;
                        break;
                    case HttpStatusCode.ServiceUnavailable: Busy++; break;
                    case HttpStatusCode.GatewayTimeout: TimedOut++; break;
                    default: OtherErrors++; break;
                }
            }
        }

        public void ClientTimeout()
        {
            lock (_gate)
            {
                Requests++;
                ClientTimeouts++;
            }
        }

        public void Rss(double mb)
        {
            lock (_gate)
            {
                MaxRssMb = Math.Max(MaxRssMb, mb);
            }
        }

        /// <summary>The latency percentile of the answered (200) requests, in milliseconds.</summary>
        public double Percentile(double p)
        {
            lock (_gate)
            {
                if (_latencies.Count == 0)
                {
                    return double.NaN;
                }

                double[] sorted = [.. _latencies.Order()];
                return sorted[Math.Clamp((int)Math.Ceiling(p / 100 * sorted.Length) - 1, 0, sorted.Length - 1)];
            }
        }
    }
}
