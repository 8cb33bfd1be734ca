using System.CommandLine;
using Inference.Cli.Deploy;
using Inference.Cli.Models;
using Inference.Cli.Registry;
using Inference.Cli.Roboflow;

namespace Inference.Cli;

/// <summary>The <c>inference</c> command line: one root, a group of verbs per feature.</summary>
public static class InferenceCli
{
    public static RootCommand Create()
    {
        var root = new RootCommand("inference: push and pin models, keep the registry, render deployments.");
        root.Subcommands.Add(ModelCommands.Create());
        root.Subcommands.Add(RegistryCommands.Create());
        root.Subcommands.Add(DeployCommands.Create());
        root.Subcommands.Add(RoboflowCommands.Create());
        return root;
    }

    /// <summary>Runs a command line with the given writers; returns the exit code (0 success, 1 failure, 2 refused).</summary>
    public static Task<int> RunAsync(string[] args, TextWriter output, TextWriter error, CancellationToken cancellationToken = default) =>
        Create().Parse(args).InvokeAsync(new InvocationConfiguration { Output = output, Error = error }, cancellationToken);
}
