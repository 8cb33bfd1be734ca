using System.Diagnostics;

namespace Inference.Cli.Tests;

/// <summary>
/// The <c>inference</c> tool as its own process (the apphost built beside the tests), for what a process-wide
/// setting decides: credentials from the environment, a terminal, the real exit code.
/// </summary>
internal static class CliProcess
{
    public static string Tool => Path.Combine(AppContext.BaseDirectory, "inference");

    public static async Task<CliRun> RunAsync(IReadOnlyDictionary<string, string?> environment, params string[] args)
    {
        var start = new ProcessStartInfo(Tool, args)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var (key, value) in environment)
        {
            start.Environment[key] = value;
        }

        return await RunAsync(start);
    }

    /// <summary>Runs the tool under <c>script</c>, which gives it a pseudo-terminal for standard output and error, as a person's shell does.</summary>
    public static async Task<CliRun> RunInTerminalAsync(IReadOnlyDictionary<string, string?> environment, params string[] args)
    {
        var command = string.Join(' ', new[] { Tool }.Concat(args).Select(a => "'" + a.Replace("'", "'\\''", StringComparison.Ordinal) + "'"));
        var start = new ProcessStartInfo("script", ["--quiet", "--return", "--command", command, "/dev/null"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var (key, value) in environment)
        {
            start.Environment[key] = value;
        }

        return await RunAsync(start);
    }

    private static async Task<CliRun> RunAsync(ProcessStartInfo start)
    {
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"{start.FileName} did not start.");
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var patience = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        await process.WaitForExitAsync(patience.Token);
        return new CliRun(process.ExitCode, await output, await error);
    }
}
