using System.Globalization;
using Inference.Cli.Errors;
using Inference.Registry;

namespace Inference.Cli.Registry;

/// <summary>
/// One identity per model: <c>name@version</c> as its manifest declares it. The registry records exactly that, so
/// the version a client reads from the service's <c>/v1/model</c> and the version in the registry are the same, and
/// so a registered model's manifest version is a whole number (1, 2, 3…), which the registry counts in.
/// </summary>
internal static class ModelIdentity
{
    /// <summary>The registry version that <paramref name="manifestVersion"/> is, or a sentence saying which version to push instead.</summary>
    public static async Task<int> RegistryVersionAsync(ModelRegistry registry, string name, string manifestVersion, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(registry);
        if (int.TryParse(manifestVersion, NumberStyles.None, CultureInfo.InvariantCulture, out var version) && version > 0 &&
            version.ToString(CultureInfo.InvariantCulture) == manifestVersion)
        {
            return version;
        }

        var next = await registry.Models.NextVersionAsync(name, cancellationToken).ConfigureAwait(false);
        throw new CliException(
            ExitCode.Usage,
            "version-mismatch",
            $"The manifest's version '{manifestVersion}' cannot be a registry version: the service reports the manifest's version and the registry numbers versions 1, 2, 3…, " +
            $"so they must be the same number. Push the model again with --version {next.ToString(CultureInfo.InvariantCulture)} (the next free version of '{name}').");
    }

    /// <summary>Refuses a <c>--name</c> that differs from the manifest's: the service would report the manifest's.</summary>
    public static string Name(string? requested, string manifestName) =>
        requested is null || requested == manifestName
            ? manifestName
            : throw new CliException(
                ExitCode.Usage,
                "name-mismatch",
                $"--name is '{requested}', but the pinned manifest names the model '{manifestName}', which is what the service reports; push it with --name {requested}, or leave --name out.");
}
