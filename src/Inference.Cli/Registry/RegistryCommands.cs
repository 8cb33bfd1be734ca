using System.CommandLine;

namespace Inference.Cli.Registry;

/// <summary><c>inference registry …</c>: datasets, models and deployments in MongoDB.</summary>
internal static class RegistryCommands
{
    public static Command Create()
    {
        var globals = new RegistryGlobals();
        var registry = new Command("registry", "The model registry (MongoDB): datasets, models, deployments.");
        globals.AddTo(registry);
        registry.Subcommands.Add(DatasetCommands.Create(globals));
        registry.Subcommands.Add(ModelRegistryCommands.Create(globals));
        registry.Subcommands.Add(DeploymentCommands.Create(globals));
        return registry;
    }
}
