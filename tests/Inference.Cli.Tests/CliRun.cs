namespace Inference.Cli.Tests;

/// <summary>Runs the <c>inference</c> command line in-process and keeps what it wrote.</summary>
internal sealed record CliRun(int ExitCode, string Output, string Error)
{
    public static async Task<CliRun> RunAsync(params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var code = await InferenceCli.RunAsync(args, output, error);
        return new CliRun(code, output.ToString(), error.ToString());
    }
}
