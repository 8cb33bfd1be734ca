using System.Text.RegularExpressions;
using Inference.Lambda.Hosting;
using Inference.Lambda.Tests.Support;
using Inference.Lambda.Validation;
using Inference.Testing;

namespace Inference.Lambda.Tests;

/// <summary>
/// The delivery files configure this code by name: the image commands pick handlers and the release workflows set
/// the validator's variables. Each name they use must be one the code reads.
/// </summary>
public sealed partial class DeliveryContractTests
{
    private static readonly string[] Files =
    [
        "deploy/lambda/validator.yaml",
        "deploy/lambda/template.yaml",
        ".github/workflows/deploy-environment.yml",
        ".github/workflows/deploy-lambda.yml",
        "Dockerfile.lambda",
    ];

    [Fact]
    public void Every_validator_variable_the_delivery_files_set_is_one_the_validator_reads()
    {
        // VALIDATOR_FUNCTION is the workflows' own variable naming the function, not one of its settings.
        var used = Files.SelectMany(f => ValidatorVariable().Matches(File.ReadAllText(Path.Combine(RepositoryPaths.Root, f)))).Select(m => m.Value)
            .Where(v => v != "VALIDATOR_FUNCTION").ToHashSet(StringComparer.Ordinal);

        var read = VariablesTheValidatorReads();

        Assert.Contains("VALIDATOR_TARGET_URL", used);
        Assert.Contains("VALIDATOR_EXPECTED_MODEL_SHA256", used);
        Assert.Empty(used.Except(read));
    }

    [Fact]
    public void A_misspelled_validator_variable_would_be_caught()
    {
        Assert.DoesNotContain("VALIDATOR_EXPECTED_SHA256", VariablesTheValidatorReads());
    }

    [Fact]
    public void Every_image_command_names_a_handler_of_the_function()
    {
        var commands = Files.Where(f => f.EndsWith(".yaml", StringComparison.Ordinal) || f.StartsWith("Dockerfile", StringComparison.Ordinal))
            .SelectMany(f => Command().Matches(File.ReadAllText(Path.Combine(RepositoryPaths.Root, f))))
            .Select(m => m.Groups[1].Value)
            .ToArray();

        Assert.Equal(["detect", "validate"], commands.Distinct().Order());
        Assert.All(commands, c => Assert.Contains(c, LambdaHost.Handlers));
    }

    // Every name ValidatorSettings asks its environment for, recorded while it reads a complete configuration.
    private static HashSet<string> VariablesTheValidatorReads()
    {
        var asked = new HashSet<string>(StringComparer.Ordinal);
        var values = new Dictionary<string, string>
        {
            ["VALIDATOR_TARGET_URL"] = "http://127.0.0.1:9/",
            ["VALIDATOR_EXPECTED_MODEL_NAME"] = Services.Demo.Name,
            ["VALIDATOR_EXPECTED_MODEL_VERSION"] = Services.Demo.Version,
            ["VALIDATOR_EXPECTED_MODEL_SHA256"] = Services.Demo.Sha256!,
        };
        ValidatorSettings.FromEnvironment(name => { asked.Add(name); return values.GetValueOrDefault(name); }, AppContext.BaseDirectory);
        return asked;
    }

    [GeneratedRegex(@"\bVALIDATOR_[A-Z0-9_]+\b")]
    private static partial Regex ValidatorVariable();

    // ImageConfig Command lists in templates ("Command: [validate]") and CMD in Dockerfiles (CMD ["detect"]).
    [GeneratedRegex(@"(?:Command:\s*\[\s*""?|CMD \[\s*"")([a-z]+)")]
    private static partial Regex Command();
}
