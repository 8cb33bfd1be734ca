using System.CommandLine;
using Inference.Cli.Errors;
using System.Globalization;
using System.Text.Json;
using Inference.Cli.Models;
using Inference.Cli.Progress;
using Inference.Registry.Deployments;
using Inference.Registry.Models;
using Inference.Registry.Storage;
using Spectre.Console;

namespace Inference.Cli.Registry;

/// <summary><c>inference registry model register|list|show|lineage|promote|archive|withdraw</c>.</summary>
internal static class ModelRegistryCommands
{
    public static Command Create(RegistryGlobals globals)
    {
        var model = new Command("model", "Model versions: their dataset, training, pinned artifact and status.");
        model.Subcommands.Add(Register(globals));
        model.Subcommands.Add(List(globals));
        model.Subcommands.Add(Show(globals));
        model.Subcommands.Add(Lineage(globals));
        model.Subcommands.Add(Promote(globals));
        model.Subcommands.Add(Archive(globals));
        model.Subcommands.Add(Withdraw(globals));
        return model;
    }

    private static Command Register(RegistryGlobals globals)
    {
        var name = new Option<string?>("--name") { Description = "The model's name; default (and it must equal) the name in the pinned manifest." };
        var dataset = new Option<string>("--dataset") { Required = true, Description = "The dataset it was trained on: name@version. Its class count must match the model's." };
        var pin = new Option<FileInfo>("--pin") { Required = true, Description = "The pin 'inference model push --json' printed." };
        var training = new TrainingOptions();
        var tags = new Option<string[]>("--tag") { AllowMultipleArgumentsPerToken = true, Description = "A free-form tag (repeatable)." };
        var commit = new Option<string?>("--git-commit") { Description = "The commit the model was trained from; default GITHUB_SHA." };
        var command = new Command(
            "register",
            "Register a pushed model as the version its manifest declares: the pinned model is fetched and validated as the service would load it, its dataset must exist with as many classes, and its pin must verify in S3.")
        {
            name, dataset, pin, tags, commit,
        };
        training.AddTo(command);
        command.SetAction((result, cancellationToken) => globals.RunAsync(result, async registry =>
        {
            var pinFile = result.GetValue(pin)!;
            if (!pinFile.Exists)
            {
                throw CliException.NotFound($"The pin file '{pinFile.FullName}' does not exist.");
            }

            var pinned = JsonSerializer.Deserialize<ModelPin>(await File.ReadAllTextAsync(pinFile.FullName, cancellationToken).ConfigureAwait(false), CliOutput.Json)
                ?? throw CliException.Usage("The pin file is empty.");
            var (datasetName, datasetVersion) = RegistryGlobals.Reference(result.GetValue(dataset)!);
            var trainingFacts = training.Read(result);

            // The cheap checks first: who the pin says it is, before anything is downloaded.
            var modelName = ModelIdentity.Name(result.GetValue(name), pinned.Model.Name);
            var version = await ModelIdentity.RegistryVersionAsync(registry, modelName, pinned.Model.Version, cancellationToken).ConfigureAwait(false);
            var facts = await TransferProgress.RunAsync(
                result,
                result.GetValue(globals.Json),
                $"Fetching {Path.GetFileName(pinned.Weights.Uri)}",
                pinned.Weights.Size,
                progress => ArtifactFactory.CheckPinAsync(pinned, globals.S3(result), progress, cancellationToken)).ConfigureAwait(false);
            var registered = await registry.Models.RegisterAsync(
                new ModelDocument
                {
                    Name = modelName,
                    Version = version,
                    Dataset = new DatasetReference(datasetName, datasetVersion, default),
                    Artifact = ArtifactFactory.From(pinned, facts),
                    Training = trainingFacts,
                    Tags = result.GetValue(tags) ?? [],
                    GitCommit = result.GetValue(commit) ?? Environment.GetEnvironmentVariable("GITHUB_SHA"),
                    CreatedBy = result.GetValue(globals.Actor)!,
                },
                cancellationToken).ConfigureAwait(false);
            Print(result, globals, [registered], single: true);
            return CliOutput.Success;
        }, cancellationToken));
        return command;
    }

    private static Command List(RegistryGlobals globals)
    {
        var name = new Option<string?>("--name") { Description = "Only this model's versions." };
        var status = new Option<string?>("--status") { Description = RegistryNames.All<ModelStatus>() };
        var command = new Command("list", "List model versions.") { name, status };
        command.SetAction((result, cancellationToken) => globals.RunAsync(result, async registry =>
        {
            Print(result, globals, await registry.Models.ListAsync(result.GetValue(name), RegistryGlobals.Status(result.GetValue(status)), cancellationToken).ConfigureAwait(false), single: false);
            return CliOutput.Success;
        }, cancellationToken));
        return command;
    }

    private static Command Show(RegistryGlobals globals)
    {
        var reference = ModelArgument();
        var command = new Command("show", "Show one model version, with the environment that pins it.") { reference };
        command.SetAction((result, cancellationToken) => globals.RunAsync(result, async registry =>
        {
            var (name, version) = RegistryGlobals.OptionalReference(result.GetValue(reference)!);
            var model = await registry.Models.GetAsync(name, version, cancellationToken).ConfigureAwait(false);
            if (result.GetValue(globals.Json))
            {
                CliOutput.WriteJson(result, new { model, environment = model.Artifact.Environment });
                return CliOutput.Success;
            }

            Print(result, globals, [model], single: true);
            CliOutput.Out(result).WriteLine();
            foreach (var (key, value) in model.Artifact.Environment)
            {
                CliOutput.Out(result).WriteLine($"{key}={value}");
            }

            return CliOutput.Success;
        }, cancellationToken));
        return command;
    }

    private static Command Lineage(RegistryGlobals globals)
    {
        var reference = ModelArgument();
        var command = new Command("lineage", "Model -> dataset -> source, plus the model's deployments and status history.") { reference };
        command.SetAction((result, cancellationToken) => globals.RunAsync(result, async registry =>
        {
            var (name, version) = RegistryGlobals.Reference(result.GetValue(reference)!);
            var lineage = await registry.Models.LineageAsync(name, version, cancellationToken).ConfigureAwait(false);
            if (result.GetValue(globals.Json))
            {
                CliOutput.WriteJson(result, lineage);
                return CliOutput.Success;
            }

            var d = lineage.Dataset;
            var tree = new Tree($"{lineage.Model.Reference} ({RegistryNames.Of(lineage.Model.Status)}, sha256 {RegistryGlobals.ShortSha(lineage.Model.Artifact.Weights.Sha256)})");
            tree.AddNode($"dataset {d.Name}@{d.Version}: {d.Classes.Count} classes, {string.Join(" ", d.ImageCounts.Select(c => $"{c.Key}={c.Value}"))}")
                .AddNode($"source {RegistryNames.Of(d.Source.Kind)} {d.Source.Workspace}/{d.Source.Project} version {d.Source.Version} {d.Source.Url}");
            var deployments = tree.AddNode($"deployments ({lineage.Deployments.Count})");
            foreach (var deployment in lineage.Deployments)
            {
                deployments.AddNode($"{deployment.StartedAt:yyyy-MM-dd HH:mm} {RegistryNames.Of(deployment.Environment)}/{RegistryNames.Of(deployment.Target)} {RegistryNames.Of(deployment.Status)} ({deployment.Id})");
            }

            var history = tree.AddNode($"status history ({lineage.History.Count})");
            foreach (var change in lineage.History)
            {
                history.AddNode($"{change.At:yyyy-MM-dd HH:mm} {RegistryNames.Of(change.From)} -> {RegistryNames.Of(change.To)} by {change.Actor}{(change.Reason is null ? string.Empty : $": {change.Reason}")}");
            }

            CliOutput.Write(result, tree);
            return CliOutput.Success;
        }, cancellationToken));
        return command;
    }

    private static Command Promote(RegistryGlobals globals)
    {
        var reference = ModelArgument();
        var to = new Option<string>("--to") { Required = true, Description = "staging or production." };
        var target = new Option<string?>("--target") { Description = $"Where it serves production: {RegistryNames.All<DeploymentTarget>()}." };
        var reason = new Option<string?>("--reason") { Description = "Why, for the audit trail." };
        var command = new Command("promote", "Move a model to staging or production (one production model per name and target); every change is audited.") { reference, to, target, reason };
        command.SetAction((result, cancellationToken) => globals.RunAsync(result, async registry =>
        {
            var (name, version) = RegistryGlobals.Reference(result.GetValue(reference)!);
            var promoted = await registry.Models.PromoteAsync(
                name,
                version,
                RegistryGlobals.Parse<ModelStatus>(result.GetValue(to), "--to"),
                RegistryGlobals.ParseOptional<DeploymentTarget>(result.GetValue(target), "--target"),
                result.GetValue(globals.Actor)!,
                result.GetValue(reason),
                cancellationToken).ConfigureAwait(false);
            Print(result, globals, [promoted], single: true);
            return CliOutput.Success;
        }, cancellationToken));
        return command;
    }

    private static Command Archive(RegistryGlobals globals)
    {
        var reference = ModelArgument();
        var reason = new Option<string?>("--reason") { Description = "Why, for the audit trail." };
        var command = new Command("archive", "Archive a model version that no longer serves production.") { reference, reason };
        command.SetAction((result, cancellationToken) => globals.RunAsync(result, async registry =>
        {
            var (name, version) = RegistryGlobals.Reference(result.GetValue(reference)!);
            Print(result, globals, [await registry.Models.ArchiveAsync(name, version, result.GetValue(globals.Actor)!, result.GetValue(reason), cancellationToken).ConfigureAwait(false)], single: true);
            return CliOutput.Success;
        }, cancellationToken));
        return command;
    }

    private static Command Withdraw(RegistryGlobals globals)
    {
        var reference = ModelArgument();
        var reason = new Option<string?>("--reason") { Description = "Why, for the audit trail." };
        var command = new Command("withdraw", "Take a production model out of production without promoting another; 'deployment rollback-target' then says what a rollback would serve.") { reference, reason };
        command.SetAction((result, cancellationToken) => globals.RunAsync(result, async registry =>
        {
            var (name, version) = RegistryGlobals.Reference(result.GetValue(reference)!);
            Print(result, globals, [await registry.Models.WithdrawAsync(name, version, result.GetValue(globals.Actor)!, result.GetValue(reason), cancellationToken).ConfigureAwait(false)], single: true);
            return CliOutput.Success;
        }, cancellationToken));
        return command;
    }

    private static Argument<string> ModelArgument() => new("model") { Description = "name@version" };

    private static void Print(ParseResult result, RegistryGlobals globals, IReadOnlyList<ModelDocument> models, bool single)
    {
        if (result.GetValue(globals.Json))
        {
            CliOutput.WriteJson(result, single ? models[0] : models);
            return;
        }

        var table = CliOutput.Table("model", "status", "dataset", "format", "input", "sha256", "created");
        foreach (var m in models)
        {
            var status = RegistryNames.Of(m.Status) + (m.ProductionTarget is { } where ? $" ({RegistryNames.Of(where)})" : string.Empty);
            table.AddRow(
                m.Reference,
                status,
                $"{m.Dataset.Name}@{m.Dataset.Version}",
                m.Artifact.Format,
                string.Create(CultureInfo.InvariantCulture, $"{m.Artifact.InputWidth}x{m.Artifact.InputHeight}"),
                RegistryGlobals.ShortSha(m.Artifact.Weights.Sha256),
                $"{m.CreatedAt:yyyy-MM-dd HH:mm} {m.CreatedBy}");
        }

        CliOutput.Write(result, table);
    }
}

/// <summary>The training facts a registration may carry.</summary>
internal sealed class TrainingOptions(string defaultSource = "manual")
{
    private readonly Option<string> _source = new("--training-source") { DefaultValueFactory = _ => defaultSource, Description = RegistryNames.All<TrainingSource>() };
    private readonly Option<string?> _framework = new("--framework") { Description = "The training framework (ultralytics, say)." };
    private readonly Option<string?> _architecture = new("--architecture") { Description = "The architecture (yolov8n, say)." };
    private readonly Option<int?> _epochs = new("--epochs") { Description = "Training epochs." };
    private readonly Option<int?> _imageSize = new("--image-size") { Description = "The training image size; default the model's input width on import." };
    private readonly Option<DateTime?> _started = new("--training-started") { Description = "When training started (ISO 8601)." };
    private readonly Option<DateTime?> _finished = new("--training-finished") { Description = "When training finished (ISO 8601)." };
    private readonly Option<string?> _jobId = new("--job-id") { Description = "The training job's id." };
    private readonly Option<string?> _jobUrl = new("--job-url") { Description = "Where the training job can be seen." };
    private readonly Option<string?> _jobArn = new("--job-arn") { Description = "The training job's ARN (SageMaker or Batch)." };
    private readonly Option<string?> _trainingImage = new("--training-image") { Description = "The training container that produced the weights: repository@sha256:digest." };
    private readonly Option<string[]> _hyperparameters = new("--hyperparameter") { AllowMultipleArgumentsPerToken = true, Description = "key=value (repeatable)." };
    private readonly Option<double?> _map50 = new("--map50") { Description = "Validation mAP at IoU 0.5." };
    private readonly Option<double?> _map50To95 = new("--map50-95") { Description = "Validation mAP at IoU 0.5 to 0.95." };
    private readonly Option<double?> _precision = new("--precision") { Description = "Validation precision." };
    private readonly Option<double?> _recall = new("--recall") { Description = "Validation recall." };

    public void AddTo(Command command)
    {
        foreach (var option in new Option[] { _source, _framework, _architecture, _epochs, _imageSize, _started, _finished, _jobId, _jobUrl, _jobArn, _trainingImage, _hyperparameters, _map50, _map50To95, _precision, _recall })
        {
            command.Options.Add(option);
        }
    }

    public TrainingInfo Read(ParseResult result) => new()
    {
        Source = RegistryGlobals.Parse<TrainingSource>(result.GetValue(_source), "--training-source"),
        Framework = result.GetValue(_framework),
        Architecture = result.GetValue(_architecture),
        Epochs = result.GetValue(_epochs),
        ImageSize = result.GetValue(_imageSize),
        StartedAt = result.GetValue(_started)?.ToUniversalTime(),
        FinishedAt = result.GetValue(_finished)?.ToUniversalTime(),
        JobId = result.GetValue(_jobId),
        JobUrl = result.GetValue(_jobUrl),
        JobArn = result.GetValue(_jobArn),
        TrainingImage = result.GetValue(_trainingImage) is { } image
            ? ImageReference.Problem(image) is { } problem ? throw CliException.Usage($"--training-image: {problem}") : image
            : null,
        Hyperparameters = (result.GetValue(_hyperparameters) ?? []).Select(h => h.Split('=', 2)).ToDictionary(
            p => p[0],
            p => p.Length == 2 ? p[1] : throw CliException.Usage($"--hyperparameter takes key=value (got '{p[0]}').")),
        Metrics = new TrainingMetrics { Map50 = result.GetValue(_map50), Map50To95 = result.GetValue(_map50To95), Precision = result.GetValue(_precision), Recall = result.GetValue(_recall) },
    };
}
