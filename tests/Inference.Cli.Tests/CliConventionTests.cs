using System.CommandLine;
using System.Text.Json;
using System.Xml.Linq;
using Inference.Cli.Errors;
using Inference.Core.Model;
using Inference.Testing;

namespace Inference.Cli.Tests;

/// <summary>What every verb of the tool shares: described options, documented exit codes, JSON errors, progress only for people, packaging.</summary>
public sealed class CliConventionTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("conventions-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private static IEnumerable<Command> AllCommands(Command command) => new[] { command }.Concat(command.Subcommands.SelectMany(AllCommands));

    [Fact]
    public void Every_command_option_and_argument_is_described()
    {
        var undescribed = AllCommands(InferenceCli.Create())
            .SelectMany(c => c.Options.Cast<Symbol>().Concat(c.Arguments).Append(c).Select(s => (Command: InferenceCli.CommandPath(c), Symbol: s)))
            .Where(p => string.IsNullOrWhiteSpace(p.Symbol.Description))
            .Select(p => $"{p.Command} {p.Symbol.Name}")
            .Distinct()
            .ToArray();

        Assert.True(undescribed.Length == 0, "Undescribed: " + string.Join(", ", undescribed));
    }

    [Fact]
    public void The_exit_codes_are_the_documented_ones()
    {
        var readme = File.ReadAllText(Path.Combine(RepositoryPaths.Root, "README.md"));

        Assert.Equal([0, 1, 2, 3, 4], Enum.GetValues<ExitCode>().Select(c => (int)c));
        foreach (var code in Enum.GetValues<ExitCode>())
        {
            Assert.Matches($@"\| {(int)code} \| `{code}` \|", readme);
        }

        Assert.Contains("Exit codes: 0 ok, 1 failed, 2 usage or precondition, 3 not found, 4 conflict.", InferenceCli.Create().Description, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_usage_error_is_exit_2_and_json_on_standard_error_with_json()
    {
        var run = await CliRun.RunAsync("model", "push", "--json");

        Assert.Equal(2, run.ExitCode);
        Assert.Equal(string.Empty, run.Output);
        var error = JsonDocument.Parse(run.Error).RootElement;
        Assert.Equal("usage", error.GetProperty("code").GetString());
        Assert.Equal(2, error.GetProperty("exit_code").GetInt32());
        Assert.Contains("Option '--bucket' is required.", error.GetProperty("message").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unknown_verb_is_a_usage_error_naming_it()
    {
        var run = await CliRun.RunAsync("model", "publish");

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("'publish'", run.Error, StringComparison.Ordinal);
        Assert.EndsWith("Run 'inference model --help' for its options.", run.Error.Trim(), StringComparison.Ordinal);
    }

    [SkippableFact]
    public async Task Uploads_show_a_progress_bar_on_a_terminal_and_nothing_with_json_or_under_ci()
    {
        S3TestServer.Require();
        var bucket = await S3TestServer.CreateBucketAsync();
        var weights = TestModels.Demo(_directory, "big.onnx", TestModels.Padded(12));
        string[] push = ["model", "push", "--weights", weights, "--manifest", RepositoryPaths.DemoManifest, "--bucket", bucket, "--endpoint", S3TestServer.ServiceUrl!];
        var person = new Dictionary<string, string?> { ["CI"] = string.Empty, ["TERM"] = "xterm" };

        var terminal = await CliProcess.RunInTerminalAsync(person, push);
        var json = await CliProcess.RunInTerminalAsync(person, [.. push, "--json"]);
        var ci = await CliProcess.RunInTerminalAsync(new Dictionary<string, string?> { ["CI"] = "true", ["TERM"] = "xterm" }, push);
        var redirected = await CliProcess.RunAsync(person, push);

        Assert.True(terminal.ExitCode == 0, terminal.Output);
        Assert.Contains("Uploading big.onnx", terminal.Output, StringComparison.Ordinal);
        Assert.Contains("100%", terminal.Output, StringComparison.Ordinal);
        Assert.All([json, ci, redirected], run =>
        {
            Assert.True(run.ExitCode == 0, run.Output + run.Error);
            Assert.DoesNotContain("Uploading", run.Output + run.Error, StringComparison.Ordinal);
        });
        // A terminal session may open with the runtime's keypad-mode escape; the JSON follows it untouched.
        JsonDocument.Parse(System.Text.RegularExpressions.Regex.Replace(json.Output, @"\x1B(\[[0-9;?]*[A-Za-z]|[=>])", string.Empty).Trim());
    }

    [Fact]
    public void The_tool_packs_as_the_inference_command_and_the_readme_installs_it_from_a_local_build()
    {
        var project = XDocument.Load(Path.Combine(RepositoryPaths.Root, "src", "Inference.Cli", "Inference.Cli.csproj"));
        string? Property(string name) => project.Descendants(name).FirstOrDefault()?.Value;
        var readme = File.ReadAllText(Path.Combine(RepositoryPaths.Root, "README.md"));

        Assert.Equal("true", Property("PackAsTool"));
        Assert.Equal("inference", Property("ToolCommandName"));
        Assert.Contains(
            $"dotnet pack src/Inference.Cli -c Release -o artifacts && dotnet tool install --global --add-source artifacts {Property("PackageId")}",
            readme,
            StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(AppContext.BaseDirectory, "manifest.schema.json")), "The tool ships the manifest schema beside itself.");
    }

    [Fact]
    public void The_tool_ships_the_same_schema_as_the_repository()
    {
        Assert.Equal(
            File.ReadAllText(Path.Combine(RepositoryPaths.Root, "models", "manifest.schema.json")),
            File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "manifest.schema.json")));
        Assert.Equal("../manifest.schema.json", ModelManifest.Load(RepositoryPaths.DemoManifest).Schema);
    }
}
