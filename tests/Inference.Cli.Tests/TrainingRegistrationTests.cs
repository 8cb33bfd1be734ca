using System.Text.Json;
using Inference.Core.Model;
using Inference.Testing;

namespace Inference.Cli.Tests;

/// <summary>
/// What train.yml and deploy-sagemaker.yml record, against jongodb and radosgw: a model with its training job's ARN,
/// image digest, hyperparameters, final metrics and dataset version; a SageMaker deployment with its endpoint
/// configuration.
/// </summary>
public sealed class TrainingRegistrationTests : IDisposable
{
    private const string TrainingImage = "123456789012.dkr.ecr.us-east-1.amazonaws.com/detector-training@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
    private const string JobArn = "arn:aws:sagemaker:us-east-1:123456789012:training-job/detector-train-20261201-1200";
    private static readonly ModelManifest Demo = ModelManifest.Load(RepositoryPaths.DemoManifest);
    private readonly string _directory = Directory.CreateTempSubdirectory("training-cli-").FullName;
    private readonly string _database = MongoTestServer.NewDatabaseName();

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private Task<CliRun> Registry(params string[] args) =>
        CliRun.RunAsync(["registry", .. args, "--mongo-uri", MongoTestServer.Uri!, "--database", _database, "--endpoint", S3TestServer.ServiceUrl!, "--actor", "ci-bot"]);

    private async Task<string> PinAsync(string bucket, string version)
    {
        var run = await CliRun.RunAsync("model", "package-sagemaker", "--weights", Demo.ResolvePath(Demo.Weights!), "--manifest", RepositoryPaths.DemoManifest,
            "--bucket", bucket, "--endpoint", S3TestServer.ServiceUrl!, "--name", "detector", "--version", version, "--json");
        Assert.True(run.ExitCode == 0, run.Error);
        var path = Path.Combine(_directory, $"pin-{version}.json");
        await File.WriteAllTextAsync(path, run.Output);
        return path;
    }

    [SkippableFact]
    public async Task A_trained_model_keeps_its_job_image_hyperparameters_metrics_and_dataset_version()
    {
        MongoTestServer.Require();
        S3TestServer.Require();
        var bucket = await S3TestServer.CreateBucketAsync();
        await Registry("dataset", "register", "--name", "shapes", "--classes", "red,green,blue,yellow", "--version", "3");

        var registered = await Registry("model", "register", "--dataset", "shapes@3", "--pin", await PinAsync(bucket, "1"),
            "--training-source", "sagemaker", "--job-arn", JobArn, "--job-id", "detector-train-20261201-1200", "--training-image", TrainingImage,
            "--hyperparameter", "epochs=50", "--hyperparameter", "lr0=0.01", "--epochs", "50", "--map50", "0.91", "--map50-95", "0.62", "--json");

        Assert.True(registered.ExitCode == 0, registered.Error);
        var model = JsonDocument.Parse((await Registry("model", "show", "detector@1", "--json")).Output).RootElement.GetProperty("model");
        var training = model.GetProperty("training");
        Assert.Equal("sagemaker", training.GetProperty("source").GetString());
        Assert.Equal(JobArn, training.GetProperty("job_arn").GetString());
        Assert.Equal(TrainingImage, training.GetProperty("training_image").GetString());
        Assert.Equal("0.01", training.GetProperty("hyperparameters").GetProperty("lr0").GetString());
        Assert.Equal(0.62, training.GetProperty("metrics").GetProperty("map50_to95").GetDouble());
        Assert.Equal(("shapes", 3), (model.GetProperty("dataset").GetProperty("name").GetString(), model.GetProperty("dataset").GetProperty("version").GetInt32()));
    }

    [SkippableFact]
    public async Task A_training_image_named_by_tag_is_refused_before_anything_is_registered()
    {
        MongoTestServer.Require();
        S3TestServer.Require();
        var bucket = await S3TestServer.CreateBucketAsync();
        await Registry("dataset", "register", "--name", "shapes", "--classes", "red,green,blue,yellow");

        var refused = await Registry("model", "register", "--dataset", "shapes@1", "--pin", await PinAsync(bucket, "1"), "--training-image", "detector-training:latest");
        var listed = await Registry("model", "list", "--json");

        Assert.Equal(2, refused.ExitCode);
        Assert.Contains("--training-image: 'detector-training:latest' is not repository@sha256", refused.Error, StringComparison.Ordinal);
        Assert.Equal(0, JsonDocument.Parse(listed.Output).RootElement.GetArrayLength());
    }

    [SkippableFact]
    public async Task A_sagemaker_release_is_recorded_with_its_endpoint_configuration_and_promotion_targets_sagemaker()
    {
        MongoTestServer.Require();
        S3TestServer.Require();
        var bucket = await S3TestServer.CreateBucketAsync();
        await Registry("dataset", "register", "--name", "shapes", "--classes", "red,green,blue,yellow");
        await Registry("model", "register", "--dataset", "shapes@1", "--pin", await PinAsync(bucket, "1"));
        await Registry("model", "promote", "detector@1", "--to", "production", "--target", "sagemaker");

        var id = (await Registry("deployment", "start", "--model", "detector@1", "--environment", "staging", "--target", "sagemaker", "--strategy", "ab-test",
            "--image", "registry.example/detector@sha256:" + new string('b', 64), "--endpoint-config", "detector-staging-detector-1-0123abcd")).Output.Trim();
        await Registry("deployment", "finish", "--id", id, "--status", "succeeded");
        var current = JsonDocument.Parse((await Registry("deployment", "current", "--environment", "staging", "--target", "sagemaker", "--json")).Output).RootElement;
        var production = JsonDocument.Parse((await Registry("model", "list", "--status", "production", "--json")).Output).RootElement;

        Assert.Equal("detector-staging-detector-1-0123abcd", current.GetProperty("endpoint_config_name").GetString());
        Assert.Equal("ab-test", current.GetProperty("strategy").GetString());
        Assert.Equal("sagemaker", Assert.Single(production.EnumerateArray()).GetProperty("production_target").GetString());
    }
}
