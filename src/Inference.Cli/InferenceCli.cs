using System.CommandLine;
using Inference.Cli.Deploy;
using Inference.Cli.Errors;
using Inference.Cli.Models;
using Inference.Cli.Registry;
using Inference.Cli.Roboflow;

namespace Inference.Cli;

/// <summary>The <c>inference</c> command line: one root, a group of verbs per feature.</summary>
public static class InferenceCli
{
    public static RootCommand Create()
    {
        var root = new RootCommand(
            "inference: onboard detection models (inspect, init, validate, predict), push and pin them in S3, keep the registry, render deployments. " +
            "Exit codes: 0 ok, 1 failed, 2 usage or precondition, 3 not found, 4 conflict.");
        root.Subcommands.Add(ModelCommands.Create());
        root.Subcommands.Add(PredictCommand.Create());
        root.Subcommands.Add(RegistryCommands.Create());
        root.Subcommands.Add(DeployCommands.Create());
        root.Subcommands.Add(RoboflowCommands.Create());
        return root;
    }

    /// <summary>
    /// Runs a command line with the given writers and returns its <see cref="ExitCode"/>. Every failure, a usage error
    /// included, is reported as a sentence (JSON with <c>--json</c>) on <paramref name="error"/>; never a stack trace.
    /// </summary>
    public static async Task<int> RunAsync(string[] args, TextWriter output, TextWriter error, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(args);
        var json = args.Contains("--json", StringComparer.Ordinal);
        var parsed = Create().Parse(args);
        if (parsed.Errors.Count > 0)
        {
            var message = string.Join(" ", parsed.Errors.Select(e => e.Message.TrimEnd('.') + ".")) + $" Run '{CommandPath(parsed.CommandResult.Command)} --help' for its options.";
            return CliOutput.Report(error, json, CliException.Usage(message));
        }

        try
        {
            return await parsed.InvokeAsync(new InvocationConfiguration { Output = output, Error = error, EnableDefaultExceptionHandler = false }, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            return CliOutput.Report(error, json, CliErrors.From(ex));
        }
    }

    /// <summary>"inference registry model register", as a person types it.</summary>
    public static string CommandPath(Command command)
    {
        var names = new List<string>();
        for (Symbol? symbol = command; symbol is Command current and not RootCommand; symbol = symbol.Parents.FirstOrDefault())
        {
            names.Add(current.Name);
        }

        names.Add("inference");
        names.Reverse();
        return string.Join(' ', names);
    }
}
