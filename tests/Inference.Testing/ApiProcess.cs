using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json;

namespace Inference.Testing;

/// <summary>
/// The service as operators run it: its own process (<c>dotnet Inference.Api.dll</c>, or the <c>Inference.Api</c>
/// executable of a self-contained publish, which needs no .NET on the host), configured by environment variables,
/// bound to 127.0.0.1 on a free port, stopped by a real SIGTERM.
/// </summary>
public sealed class ApiProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly ConcurrentQueue<string> _lines = new();
    private readonly TaskCompletionSource<Uri> _listening = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private ApiProcess(Process process)
    {
        _process = process;
        _process.OutputDataReceived += (_, e) => Collect(e.Data);
        _process.ErrorDataReceived += (_, e) => Collect(e.Data);
    }

    public HttpClient Client { get; private set; } = null!;

    public IReadOnlyCollection<string> Lines => _lines;

    public bool HasExited => _process.HasExited;

    public int Id => _process.Id;

    /// <summary>Starts <c>Inference.Api.dll</c> from <paramref name="directory"/> (the caller's own output by default).</summary>
    /// <param name="arguments">The command line (SageMaker's <c>serve</c>); by default <c>--urls http://127.0.0.1:0</c>.</param>
    public static async Task<ApiProcess> StartAsync(IReadOnlyDictionary<string, string> environment, string? directory = null, string[]? arguments = null)
    {
        var api = Launch(environment, directory, arguments);
        var address = await api._listening.Task.WaitAsync(TimeSpan.FromSeconds(60));
        api.Client = new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromSeconds(60) };
        return api;
    }

    /// <summary>Runs a process that is expected to stop by itself (a boot that fails), returning its exit code and output.</summary>
    public static async Task<(int ExitCode, string Output)> RunToExitAsync(IReadOnlyDictionary<string, string> environment, TimeSpan patience, string[]? arguments = null)
    {
        await using var api = Launch(environment, null, arguments);
        var exitCode = await api.WaitForExitAsync(patience);

        // The asynchronous readers may still hold the last lines.
        api._process.WaitForExit();
        return (exitCode, string.Join('\n', api._lines));
    }

    private static ApiProcess Launch(IReadOnlyDictionary<string, string> environment, string? directory, string[]? arguments)
    {
        directory ??= AppContext.BaseDirectory;

        // A self-contained publish carries its own host (libhostfxr.so beside the app) and runs as an executable.
        string[] commandLine = arguments ?? ["--urls", "http://127.0.0.1:0"];
        var selfContained = File.Exists(Path.Combine(directory, "libhostfxr.so")) && File.Exists(Path.Combine(directory, "Inference.Api"));
        var start = selfContained
            ? new ProcessStartInfo(Path.Combine(directory, "Inference.Api"), commandLine)
            : new ProcessStartInfo("dotnet", [Path.Combine(directory, "Inference.Api.dll"), .. commandLine]);
        start.WorkingDirectory = directory;
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        start.UseShellExecute = false;
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        start.Environment["Inference__ExecutionProvider"] = "cpu";
        foreach (var (key, value) in environment)
        {
            start.Environment[key] = value;
        }

        var api = new ApiProcess(Process.Start(start) ?? throw new InvalidOperationException("dotnet did not start."));
        api._process.BeginOutputReadLine();
        api._process.BeginErrorReadLine();
        return api;
    }

    public async Task WaitUntilReadyAsync(TimeSpan? patience = null)
    {
        var limit = patience ?? TimeSpan.FromSeconds(60);
        var clock = Stopwatch.StartNew();
        while (true)
        {
            using var response = await Client.GetAsync("/health/ready");
            if (response.IsSuccessStatusCode)
            {
                return;
            }

            if (clock.Elapsed > limit)
            {
                throw new TimeoutException(await response.Content.ReadAsStringAsync());
            }

            await Task.Delay(25);
        }
    }

    /// <summary>Sends SIGTERM, as ECS does when it stops a task.</summary>
    public async Task TerminateAsync()
    {
        using var kill = Process.Start("kill", ["-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])!;
        await kill.WaitForExitAsync();
    }

    public async Task<int> WaitForExitAsync(TimeSpan patience)
    {
        await _process.WaitForExitAsync().WaitAsync(patience);
        return _process.ExitCode;
    }

    /// <summary>The JSON log entries written so far.</summary>
    public IReadOnlyList<JsonElement> LogEntries() =>
        _lines.Where(l => l.StartsWith('{')).Select(l => JsonDocument.Parse(l).RootElement.Clone()).ToArray();

    public async ValueTask DisposeAsync()
    {
        Client?.Dispose();
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
    }

    private void Collect(string? line)
    {
        if (line is null)
        {
            return;
        }

        _lines.Enqueue(line);
        const string Marker = "Now listening on: ";
        var at = line.IndexOf(Marker, StringComparison.Ordinal);
        if (at >= 0)
        {
            var rest = line[(at + Marker.Length)..];
            _listening.TrySetResult(new Uri(rest[..rest.IndexOf('"', StringComparison.Ordinal)]));
        }
    }
}
