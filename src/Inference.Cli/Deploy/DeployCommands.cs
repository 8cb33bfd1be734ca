using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Nodes;
using Inference.Cli.Errors;
using Inference.Cli.Registry;
using Inference.Registry.Deployments;

namespace Inference.Cli.Deploy;

/// <summary><c>inference deploy render-task-definition</c>: the task definition a deploy workflow registers.</summary>
internal static class DeployCommands
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    public static Command Create()
    {
        var globals = new RegistryGlobals();
        var deploy = new Command("deploy", "Deployment helpers for workflows.");
        globals.AddTo(deploy);

        var model = new Option<string>("--model") { Required = true, Description = "The registered model to pin: name@version." };
        var image = new Option<string>("--image") { Required = true, Description = "The container image, repository@sha256:<64 hex digits>; a tag is refused." };
        var template = new Option<FileInfo>("--template") { Required = true, Description = "The task definition template (task-definition.json)." };
        var output = new Option<FileInfo?>("--output") { Description = "Where to write it; standard output when absent." };
        var container = new Option<string>("--container") { DefaultValueFactory = _ => "detector", Description = "The container that gets the image and the pin." };
        var placeholders = new Option<string[]>("--placeholder") { AllowMultipleArgumentsPerToken = true, Description = "NAME=value for a <NAME> placeholder in the template (repeatable): role ARNs, the region." };
        var render = new Command("render-task-definition", "Write the task definition with the image and the model pin's environment variables.") { model, image, template, output, container, placeholders };
        // The image is checked before the registry is reached: a tag is refused even where MongoDB is down.
        render.SetAction((result, cancellationToken) => ImageReference.Problem(result.GetValue(image)) is { } problem
            ? throw CliException.Usage(problem)
            : globals.RunAsync(result, async registry =>
        {
            var (name, version) = RegistryGlobals.Reference(result.GetValue(model)!);
            var pinned = await registry.Models.GetAsync(name, version, cancellationToken).ConfigureAwait(false);
            var source = JsonNode.Parse(await File.ReadAllTextAsync(result.GetValue(template)!.FullName, cancellationToken).ConfigureAwait(false))
                ?? throw new InvalidDataException("The template is empty.");
            var values = (result.GetValue(placeholders) ?? []).Select(p => p.Split('=', 2)).ToDictionary(
                p => p[0],
                p => p.Length == 2 ? p[1] : throw new InvalidDataException($"--placeholder takes NAME=value (got '{p[0]}')."),
                StringComparer.Ordinal);
            var rendered = TaskDefinitionRenderer.Render(source, result.GetValue(container)!, result.GetValue(image)!, pinned.Artifact.Environment, values).ToJsonString(Indented);
            if (result.GetValue(output) is { } file)
            {
                await File.WriteAllTextAsync(file.FullName, rendered + "\n", cancellationToken).ConfigureAwait(false);
            }
            else
            {
                CliOutput.Out(result).WriteLine(rendered);
            }

            return CliOutput.Success;
        }, cancellationToken));
        deploy.Subcommands.Add(render);
        return deploy;
    }
}
