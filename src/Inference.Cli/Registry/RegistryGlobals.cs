using System.CommandLine;
using Inference.Cli.Errors;
using Inference.Core.Sources;
using Inference.Registry;
using Inference.Registry.Models;
using Inference.Registry.Storage;
using MongoDB.Driver;

namespace Inference.Cli.Registry;

/// <summary>Options every registry verb shares, and the one place that connects and turns failures into exit codes.</summary>
internal sealed class RegistryGlobals
{
    public Option<string?> MongoUri { get; } = new("--mongo-uri") { Description = "MongoDB connection string; default the Registry__MongoUri variable.", Recursive = true };

    public Option<string?> Database { get; } = new("--database") { Description = "Database; default the one in the URI, else 'inference'.", Recursive = true };

    public Option<string?> Endpoint { get; } = new("--endpoint") { Description = "S3 endpoint override (tests); default S3__ServiceUrl, else AWS.", Recursive = true };

    public Option<string> Actor { get; } = new("--actor")
    {
        Description = "Who does this, for the audit trail; default GITHUB_ACTOR or USER.",
        Recursive = true,
        DefaultValueFactory = _ => Environment.GetEnvironmentVariable("GITHUB_ACTOR") ?? Environment.GetEnvironmentVariable("USER") ?? "unknown",
    };

    public Option<bool> Json { get; } = new("--json") { Description = "Write machine-readable JSON.", Recursive = true };

    public void AddTo(Command command)
    {
        command.Options.Add(MongoUri);
        command.Options.Add(Database);
        command.Options.Add(Endpoint);
        command.Options.Add(Actor);
        command.Options.Add(Json);
    }

    public S3Options S3(ParseResult result) => new() { ServiceUrl = result.GetValue(Endpoint) ?? Environment.GetEnvironmentVariable("S3__ServiceUrl") };

    /// <summary>
    /// Connects (failing within ~5 s with a sentence when MongoDB is unreachable) and runs <paramref name="action"/>.
    /// Failures propagate to the root, which reports them with their exit code; a MongoDB fault gets the servers and
    /// database named here, where they are known.
    /// </summary>
    public async Task<int> RunAsync(ParseResult result, Func<ModelRegistry, Task<int>> action, CancellationToken cancellationToken)
    {
        var uri = result.GetValue(MongoUri) ?? Environment.GetEnvironmentVariable("Registry__MongoUri");
        if (string.IsNullOrWhiteSpace(uri))
        {
            throw CliException.Usage("No registry: pass --mongo-uri or set Registry__MongoUri.");
        }

        MongoUrl url;
        try
        {
            url = new MongoUrl(uri);
        }
        catch (MongoConfigurationException ex)
        {
            throw CliException.Usage($"--mongo-uri is not a MongoDB connection string: {ex.Message}");
        }

        var database = await RegistryDatabase.ConnectAsync(uri, result.GetValue(Database), cancellationToken: cancellationToken).ConfigureAwait(false);
        var s3Options = S3(result);
        using var s3 = s3Options.CreateClient(sdkRetries: true);
        try
        {
            return await action(new ModelRegistry(database, new S3ArtifactVerifier(s3, s3Options))).ConfigureAwait(false);
        }
        catch (MongoException ex)
        {
            // Servers only: the URI may carry a password.
            throw new CliException(ExitCode.Failed, "registry-failed", $"MongoDB at {string.Join(", ", url.Servers)} (database '{database.Database.DatabaseNamespace.DatabaseName}') failed: {ex.Message.Split('\n')[0]}", null, ex);
        }
        catch (TimeoutException ex)
        {
            throw new CliException(ExitCode.Failed, "registry-unavailable", $"MongoDB at {string.Join(", ", url.Servers)} (database '{database.Database.DatabaseNamespace.DatabaseName}') stopped answering: {ex.Message.Split('\n')[0]}", null, ex);
        }
    }

    /// <summary>Parses an enum option value in the registry's kebab-case spelling, naming the choices when it is wrong.</summary>
    public static TEnum Parse<TEnum>(string? text, string option)
        where TEnum : struct, Enum =>
        RegistryNames.TryParse<TEnum>(text, out var value)
            ? value
            : throw CliException.Usage($"{option} must be one of {RegistryNames.All<TEnum>()} (got '{text}').");

    public static TEnum? ParseOptional<TEnum>(string? text, string option)
        where TEnum : struct, Enum => text is null ? null : Parse<TEnum>(text, option);

    /// <summary><c>name@version</c> of a model or dataset; the version is required.</summary>
    public static (string Name, int Version) Reference(string text)
    {
        var (name, version) = OptionalReference(text);
        return version is { } exact ? (name, exact) : throw CliException.Usage($"'{text}' needs a version: name@version.");
    }

    /// <summary><c>name</c> (the latest) or <c>name@version</c>; a malformed one is a usage error, not a missing entry.</summary>
    public static (string Name, int? Version) OptionalReference(string text)
    {
        try
        {
            return ModelRegistry.ParseReference(text);
        }
        catch (RegistryException ex)
        {
            throw CliException.Usage(ex.Message);
        }
    }

    public static string ShortSha(string? sha256) => sha256 is { Length: > 12 } ? sha256[..12] : sha256 ?? "-";

    internal static ModelStatus? Status(string? text) => ParseOptional<ModelStatus>(text, "--status");
}
