using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json;

namespace Inference.Testing;

/// <summary>
/// The Lambda function as Lambda runs it: <c>src/Inference.Lambda</c> published self-contained for linux-x64 (the
/// <c>bootstrap</c> of a <c>provided.al2023</c> function), optionally ReadyToRun, and started as a child process
/// against a Runtime API endpoint.
/// </summary>
public static class LambdaPackage
{
    /// <summary>
    /// Publishes into <paramref name="directory"/> with scripts/publish-lambda.sh (the one publish command, which
    /// scripts/test.sh also runs before the tests) and returns it; throws with the build output on failure. For
    /// benchmarks: tests read <see cref="PublishedArtifacts.LambdaPackage"/> instead.
    /// </summary>
    public static async Task<string> PublishAsync(string directory, bool readyToRun)
    {
        var script = Path.Combine(RepositoryPaths.Root, "scripts", "publish-lambda.sh");
        var start = new ProcessStartInfo("bash", readyToRun ? [script, directory] : [script, directory, "--jit"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return process.ExitCode == 0
            ? directory
            : throw new InvalidOperationException($"scripts/publish-lambda.sh failed ({process.ExitCode}): {await output}{await error}");
    }

    /// <summary>Bytes on disk of the published package.</summary>
    public static long SizeBytes(string directory) =>
        new DirectoryInfo(directory).EnumerateFiles("*", SearchOption.AllDirectories).Sum(f => f.Length);
}

/// <summary>A running <c>bootstrap</c>: its JSON log lines and its exit.</summary>
public sealed class LambdaProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly ConcurrentQueue<string> _lines = new();

    private LambdaProcess(Process process)
    {
        _process = process;
        _process.OutputDataReceived += (_, e) => Collect(e.Data);
        _process.ErrorDataReceived += (_, e) => Collect(e.Data);
    }

    public IReadOnlyCollection<string> Lines => _lines;

    public bool HasExited => _process.HasExited;

    /// <summary>Starts the bootstrap with a Lambda-like environment: the runtime endpoint, the handler, a region.</summary>
    public static LambdaProcess Start(string directory, string runtimeEndpoint, string handler, IReadOnlyDictionary<string, string>? environment = null)
    {
        var start = new ProcessStartInfo(Path.Combine(directory, "bootstrap"))
        {
            WorkingDirectory = directory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.Environment["AWS_LAMBDA_RUNTIME_API"] = runtimeEndpoint;
        start.Environment["_HANDLER"] = handler;
        start.Environment["AWS_REGION"] = "us-east-1";
        start.Environment["AWS_EC2_METADATA_DISABLED"] = "true";
        start.Environment["Model__CacheDirectory"] = Path.Combine(Path.GetTempPath(), "inference-lambda-test-cache");
        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[key] = value;
        }

        var lambda = new LambdaProcess(Process.Start(start) ?? throw new InvalidOperationException("bootstrap did not start."));
        lambda._process.BeginOutputReadLine();
        lambda._process.BeginErrorReadLine();
        return lambda;
    }

    public async Task<int> WaitForExitAsync(TimeSpan patience)
    {
        await _process.WaitForExitAsync().WaitAsync(patience);
        _process.WaitForExit();
        return _process.ExitCode;
    }

    /// <summary>Every log line as JSON; a line that is not JSON fails the caller's parse.</summary>
    public IReadOnlyList<JsonElement> LogEntries() => _lines.Select(l => JsonDocument.Parse(l).RootElement.Clone()).ToArray();

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
    }

    private void Collect(string? line)
    {
        if (!string.IsNullOrEmpty(line))
        {
            _lines.Enqueue(line);
        }
    }
}
