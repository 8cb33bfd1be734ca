using System.CommandLine;
using Inference.Cli.Errors;
using System.Globalization;
using Inference.Registry.Datasets;
using Inference.Registry.Storage;
using Spectre.Console;

namespace Inference.Cli.Registry;

/// <summary><c>inference registry dataset register|list|show</c>.</summary>
internal static class DatasetCommands
{
    public static Command Create(RegistryGlobals globals)
    {
        var dataset = new Command("dataset", "Dataset versions: what models were trained on.");
        dataset.Subcommands.Add(Register(globals));
        dataset.Subcommands.Add(List(globals));
        dataset.Subcommands.Add(Show(globals));
        return dataset;
    }

    private static Command Register(RegistryGlobals globals)
    {
        var name = new Option<string>("--name") { Required = true, Description = "Dataset name." };
        var version = new Option<int?>("--version") { Description = "An explicit version; default the next one." };
        var kind = new Option<string>("--source") { DefaultValueFactory = _ => "other", Description = $"Where it comes from: {RegistryNames.All<DatasetSourceKind>()}." };
        var workspace = new Option<string?>("--workspace") { Description = "The source's workspace (a Roboflow workspace)." };
        var project = new Option<string?>("--project") { Description = "The source's project (a Roboflow project)." };
        var sourceVersion = new Option<string?>("--source-version") { Description = "The source's own version (a Roboflow version number)." };
        var url = new Option<string?>("--url") { Description = "Where the dataset can be seen or downloaded." };
        var classes = new Option<string>("--classes") { Required = true, Description = "Class names in order, comma separated." };
        var splits = new Option<string[]>("--split") { Description = "Images per split, as name=count (repeatable).", AllowMultipleArgumentsPerToken = true };
        var contentHash = new Option<string?>("--content-hash") { Description = "SHA-256 over the dataset's files, so the same contents are recognised again." };
        var command = new Command("register", "Register a dataset version.") { name, version, kind, workspace, project, sourceVersion, url, classes, splits, contentHash };
        command.SetAction((result, cancellationToken) => globals.RunAsync(result, async registry =>
        {
            var draft = new DatasetDocument
            {
                Name = result.GetValue(name)!,
                Version = result.GetValue(version) ?? 0,
                Source = new DatasetSource
                {
                    Kind = RegistryGlobals.Parse<DatasetSourceKind>(result.GetValue(kind), "--source"),
                    Workspace = result.GetValue(workspace),
                    Project = result.GetValue(project),
                    Version = result.GetValue(sourceVersion),
                    Url = result.GetValue(url),
                },
                Classes = result.GetValue(classes)!.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries),
                ImageCounts = ParseSplits(result.GetValue(splits) ?? []),
                ContentHash = result.GetValue(contentHash),
                CreatedBy = result.GetValue(globals.Actor)!,
            };
            var registered = await registry.Datasets.RegisterAsync(draft, cancellationToken).ConfigureAwait(false);
            Print(result, globals, [registered]);
            return CliOutput.Success;
        }, cancellationToken));
        return command;
    }

    private static Command List(RegistryGlobals globals)
    {
        var name = new Option<string?>("--name") { Description = "Only this dataset's versions." };
        var command = new Command("list", "List dataset versions.") { name };
        command.SetAction((result, cancellationToken) => globals.RunAsync(result, async registry =>
        {
            Print(result, globals, await registry.Datasets.ListAsync(result.GetValue(name), cancellationToken).ConfigureAwait(false));
            return CliOutput.Success;
        }, cancellationToken));
        return command;
    }

    private static Command Show(RegistryGlobals globals)
    {
        var reference = new Argument<string>("dataset") { Description = "name or name@version (latest when no version)." };
        var command = new Command("show", "Show one dataset version.") { reference };
        command.SetAction((result, cancellationToken) => globals.RunAsync(result, async registry =>
        {
            var (name, version) = RegistryGlobals.OptionalReference(result.GetValue(reference)!);
            Print(result, globals, [await registry.Datasets.GetAsync(name, version, cancellationToken).ConfigureAwait(false)]);
            return CliOutput.Success;
        }, cancellationToken));
        return command;
    }

    private static Dictionary<string, int> ParseSplits(string[] splits) => splits.ToDictionary(
        s => s.Split('=')[0],
        s => s.Split('=') is [_, var count] && int.TryParse(count, NumberStyles.None, CultureInfo.InvariantCulture, out var n)
            ? n
            : throw CliException.Usage($"--split takes name=count (got '{s}')."));

    private static void Print(ParseResult result, RegistryGlobals globals, IReadOnlyList<DatasetDocument> datasets)
    {
        if (result.GetValue(globals.Json))
        {
            CliOutput.WriteJson(result, datasets.Count == 1 && result.CommandResult.Command.Name != "list" ? datasets[0] : datasets);
            return;
        }

        var table = CliOutput.Table("dataset", "source", "classes", "images", "content hash", "created");
        foreach (var d in datasets)
        {
            var source = string.Join('/', new[] { RegistryNames.Of(d.Source.Kind), d.Source.Workspace, d.Source.Project, d.Source.Version }.Where(p => p is not null));
            var images = string.Join(" ", d.ImageCounts.Select(c => $"{c.Key}={c.Value}"));
            table.AddRow($"{d.Name}@{d.Version}", source, d.Classes.Count.ToString(CultureInfo.InvariantCulture), images, RegistryGlobals.ShortSha(d.ContentHash), $"{d.CreatedAt:yyyy-MM-dd HH:mm} {d.CreatedBy}");
        }

        CliOutput.Write(result, table);
    }
}
