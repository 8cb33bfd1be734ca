using System.CommandLine;
using Spectre.Console;

namespace Inference.Cli.Progress;

/// <summary>
/// A progress bar for uploads and downloads of a few MB and more, drawn on standard error, and only for a person at a
/// terminal: never with <c>--json</c>, never when standard error is redirected, never under CI (<c>CI</c> set).
/// </summary>
internal static class TransferProgress
{
    public const long MinimumBytes = 4L << 20;

    public static async Task<T> RunAsync<T>(ParseResult result, bool json, string description, long totalBytes, Func<IProgress<long>?, Task<T>> work)
    {
        ArgumentNullException.ThrowIfNull(result);
        ArgumentNullException.ThrowIfNull(work);
        var toTerminal = ReferenceEquals(result.InvocationConfiguration.Error, Console.Error) && !Console.IsErrorRedirected;
        if (!ShouldShow(json, totalBytes, toTerminal, Environment.GetEnvironmentVariable("CI")))
        {
            return await work(null).ConfigureAwait(false);
        }

        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) });
        T value = default!;
        await console.Progress()
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new DownloadedColumn(), new TransferSpeedColumn(), new RemainingTimeColumn())
            .StartAsync(async context =>
            {
                var task = context.AddTask(Markup.Escape(description), maxValue: totalBytes);
                value = await work(new TaskProgress(task)).ConfigureAwait(false);
                task.Value = totalBytes;
            }).ConfigureAwait(false);
        return value;
    }

    /// <summary>The rule, apart from the console it reads: a terminal, no JSON, not CI, and enough bytes to watch.</summary>
    internal static bool ShouldShow(bool json, long totalBytes, bool toTerminal, string? ci) =>
        !json && toTerminal && string.IsNullOrEmpty(ci) && totalBytes >= MinimumBytes;

    // Reports arrive on transfer threads; Spectre's task takes values from any thread.
    private sealed class TaskProgress(ProgressTask task) : IProgress<long>
    {
        public void Report(long value) => task.Value = value;
    }
}
