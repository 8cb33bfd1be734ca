using Inference.Testing;

namespace Inference.Delivery.Tests.Support;

/// <summary>The delivery files under test, and the offline checkers scripts/test.sh installs (tools/delivery-lint).</summary>
public static class DeliveryFiles
{
    public static string Root => RepositoryPaths.Root;

    public static string TaskDefinition => Path.Combine(Root, "task-definition.json");

    public static string AppSpec => Path.Combine(Root, "deploy", "appspec.yaml");

    /// <summary>One environment's stack (staging or production).</summary>
    public static string Infrastructure => Path.Combine(Root, "deploy", "infrastructure.yaml");

    /// <summary>What the environments share: image repository, models bucket, OIDC provider, build role.</summary>
    public static string SharedInfrastructure => Path.Combine(Root, "deploy", "shared.yaml");

    /// <summary>Every template checked alike (spec, policies, conditions); the Lambda path's are checked in LambdaDeliveryTests.</summary>
    public static IReadOnlyList<string> Templates => [SharedInfrastructure, Infrastructure, SageMakerTemplate, TrainingTemplate, GpuTestsTemplate, PreprocessTemplate];

    /// <summary>One environment's SageMaker endpoint, released by deploy-sagemaker.yml.</summary>
    public static string SageMakerTemplate => Path.Combine(Root, "deploy", "sagemaker", "endpoint.yaml");

    public static string SageMakerDeploymentConfig => Path.Combine(Root, "deploy", "sagemaker", "deployment-config.json");

    public static string SageMakerStackPolicy => Path.Combine(Root, "deploy", "sagemaker", "stack-policy.json");

    /// <summary>Optional AWS training (once per account): roles and the EventBridge rule that resumes train.yml.</summary>
    public static string TrainingTemplate => Path.Combine(Root, "deploy", "training", "training.yaml");

    public static string TrainingJob => Path.Combine(Root, "deploy", "training", "training-job.json");

    /// <summary>The CodeBuild GPU project ci.yml starts, and buildspec-gpu.yml it runs.</summary>
    public static string GpuTestsTemplate => Path.Combine(Root, "deploy", "ci", "gpu-tests.yaml");

    public static string GpuBuildSpec => Path.Combine(Root, "buildspec-gpu.yml");

    /// <summary>The combination: Lambda pre-processing in front of one environment's ECS service.</summary>
    public static string PreprocessTemplate => Path.Combine(Root, "deploy", "lambda", "preprocess.yaml");

    public static string Script(string name) => Path.Combine(Root, "deploy", "scripts", name);

    /// <summary>The Lambda path (deploy/lambda): the validator once per account, the light model once per environment.</summary>
    public static string ValidatorTemplate => Path.Combine(Root, "deploy", "lambda", "validator.yaml");

    public static string LambdaTemplate => Path.Combine(Root, "deploy", "lambda", "template.yaml");

    public static string LambdaAppSpec => Path.Combine(Root, "deploy", "lambda", "appspec.yaml");

    public static string LambdaDockerfile => Path.Combine(Root, "Dockerfile.lambda");

    public static string Workflow(string name) => Path.Combine(Root, ".github", "workflows", name);

    public static string GpuDockerfile => Path.Combine(Root, "Dockerfile.gpu");

    public static string CpuDockerfile => Path.Combine(Root, "Dockerfile");

    public static IReadOnlyList<string> Workflows => Directory.GetFiles(Path.Combine(Root, ".github", "workflows"), "*.yml").Order(StringComparer.Ordinal).ToArray();

    public static string Lint => Path.Combine(Root, "tools", "delivery-lint");

    public static string CfnSpec => Path.Combine(Lint, "node_modules", "@aws-cdk", "cfnspec", "spec", "specification.json");

    /// <summary>A scratch copy of a delivery file, to break on purpose.</summary>
    /// <summary>The text with the first <paramref name="find"/> replaced; fails the test when the file no longer holds it.</summary>
    public static string ReplaceFirst(string text, string find, string replacement)
    {
        var at = text.IndexOf(find, StringComparison.Ordinal);
        Assert.True(at >= 0, $"'{find}' is not in the file any more.");
        return text[..at] + replacement + text[(at + find.Length)..];
    }

    public static string BrokenCopy(string original, Func<string, string> breakIt, string directory)
    {
        var text = File.ReadAllText(original);
        var broken = breakIt(text);
        Assert.NotEqual(text, broken);
        var path = Path.Combine(directory, Path.GetFileName(original));
        File.WriteAllText(path, broken);
        return path;
    }
}
