using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;

namespace SwinFace.Server.Tests;

/// <summary>
/// The built service as users start it: <c>dotnet SwinFace.Server.dll --model ... --urls http://127.0.0.1:0</c>, on a
/// free loopback port, galleries in memory. Shared by the end-to-end test and the load test.
/// </summary>
internal sealed partial class ServerProcess : IDisposable
{
    /// <summary>The key the process is started with (<c>SWINFACE_API_KEY</c>).</summary>
    public const string Key = "end-to-end-key";

    private readonly Process _process;

    private ServerProcess(Process process, Uri address)
    {
        _process = process;
        Address = address;
    }

    /// <summary>Gets the address Kestrel listens on.</summary>
    public Uri Address { get; }

    /// <summary>Gets the process id, to read its memory from <c>/proc</c>.</summary>
    public int Id => _process.Id;

    /// <summary>Starts the service built in the repository, and waits until it listens.</summary>
    /// <param name="repoRoot">The repository's root.</param>
    /// <param name="model">The model file.</param>
    /// <param name="settings">More settings, as <c>--Section:Key value</c> pairs.</param>
    public static ServerProcess Start(string repoRoot, string model, params string[] settings)
    {
        string configuration = AppContext.BaseDirectory.Contains("/Debug/", StringComparison.Ordinal) ? "Debug" : "Release";
        string dll = Path.Combine(repoRoot, "src", "SwinFace.Server", "bin", configuration, "net10.0", "SwinFace.Server.dll");
        var start = new ProcessStartInfo("dotnet")
        {
            ArgumentList = { dll, "--model", Path.GetFullPath(model), "--urls", "http://127.0.0.1:0", "--SwinFace:Galleries:Store", "Memory" },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = Path.GetDirectoryName(dll)!,
            Environment = { ["SWINFACE_API_KEY"] = Key, ["ASPNETCORE_ENVIRONMENT"] = "Production", ["Logging__LogLevel__Default"] = "Warning", ["Logging__LogLevel__Microsoft.Hosting.Lifetime"] = "Information" },
        };
        foreach (string setting in settings)
        {
            start.ArgumentList.Add(setting);
        }

        Process process = Process.Start(start)!;
        var listening = new TaskCompletionSource<Uri>(TaskCreationOptions.RunContinuationsAsynchronously);
        var output = new ConcurrentQueue<string>();
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
    public void Terminate() => Process.Start("kill", ["-TERM", _process.Id.ToString(CultureInfo.InvariantCulture)])!.WaitForExit();

    /// <summary>Waits for the process to exit and returns its exit code.</summary>
    /// <exception cref="TimeoutException">It did not exit in time.</exception>
    public int WaitForExit(TimeSpan timeout)
    {
        if (!_process.WaitForExit(timeout))
        {
            throw new TimeoutException($"the service did not exit within {timeout.TotalSeconds} s");
        }

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
