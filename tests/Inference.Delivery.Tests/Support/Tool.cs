using System.Diagnostics;

namespace Inference.Delivery.Tests.Support;

/// <summary>Runs an offline checker and keeps what it said.</summary>
public static class Tool
{
    public static Task<(int ExitCode, string Output)> RunAsync(string file, params string[] arguments) =>
        RunInAsync(DeliveryFiles.Root, file, arguments);

    public static Task<(int ExitCode, string Output)> RunInAsync(string directory, string file, params string[] arguments) =>
        RunInAsync(directory, new Dictionary<string, string>(), file, arguments);

    /// <summary>Runs with extra environment variables (they replace inherited ones of the same name).</summary>
    public static async Task<(int ExitCode, string Output)> RunInAsync(string directory, IReadOnlyDictionary<string, string> environment, string file, params string[] arguments)
    {
        var start = new ProcessStartInfo(file, arguments) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = directory };
        start.Environment["AWS_EC2_METADATA_DISABLED"] = "true";
        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, await output + await error);
    }

    /// <summary>The checker's path; skips without it, or fails where the run promised its tools (scripts/test.sh).</summary>
    public static string Require(string path, string installHint)
    {
        if (!File.Exists(path))
        {
            Assert.True(Environment.GetEnvironmentVariable("INFERENCE_REQUIRE_TOOLS") != "1", $"{path} is required but missing: {installHint}");
            Skip.If(true, $"{Path.GetFileName(path)} is not installed: {installHint}");
        }

        return path;
    }

    public static string NodeModule(string relative) =>
        Require(Path.Combine(DeliveryFiles.Lint, "node_modules", relative), "run 'npm ci' in tools/delivery-lint (scripts/test.sh does).");

    /// <summary>jq, which the release workflows' scripts use and <see cref="WorkflowSteps"/> runs for real.</summary>
    public static string Jq()
    {
        var found = (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(':').Select(p => Path.Combine(p, "jq")).FirstOrDefault(File.Exists);
        return Require(found ?? "/usr/bin/jq", "jq (Debian's jq package; GitHub's runners have it) runs the release scripts as the workflows do.");
    }

    public static string Aws()
    {
        var found = (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(':').Select(p => Path.Combine(p, "aws")).FirstOrDefault(File.Exists);
        return Require(found ?? "/usr/bin/aws", "the aws CLI (v1 or v2) validates task definitions offline.");
    }
}
