using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using Inference.Core.Model;
using Inference.Testing;

namespace Inference.Cli.Tests;

/// <summary>The registry verbs end to end, against jongodb and radosgw, as a workflow would call them.</summary>
public sealed class RegistryCommandTests : IDisposable
{
    private static readonly ModelManifest Demo = ModelManifest.Load(RepositoryPaths.DemoManifest);
    private readonly string _directory = Directory.CreateTempSubdirectory("registry-cli-").FullName;
    private const string RenderedImage = "registry.example/detector@sha256:abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789";
    private readonly string _database = MongoTestServer.NewDatabaseName();

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private Task<CliRun> Registry(params string[] args) =>
        CliRun.RunAsync(["registry", .. args, "--mongo-uri", MongoTestServer.Uri!, "--database", _database, "--endpoint", S3TestServer.ServiceUrl!, "--actor", "ci-bot"]);

    /// <summary>Pushes the demo model as <paramref name="name"/> <paramref name="version"/> and returns the pin file, as a workflow keeps it.</summary>
    private async Task<string> PushAsync(string bucket, string name = "detector", string version = "1", string? weights = null, string? manifest = null)
    {
        var run = await CliRun.RunAsync("model", "push", "--weights", weights ?? Demo.ResolvePath(Demo.Weights!), "--manifest", manifest ?? RepositoryPaths.DemoManifest,
            "--bucket", bucket, "--endpoint", S3TestServer.ServiceUrl!, "--name", name, "--version", version, "--json");
        Assert.True(run.ExitCode == 0, run.Error);
        var path = Path.Combine(_directory, $"pin-{Guid.NewGuid():N}.json");
        await File.WriteAllTextAsync(path, run.Output);
        return path;
    }

    /// <summary>A four-class dataset and detector@1, @2 and @3 registered against it, each pushed to a fresh bucket.</summary>
    private async Task RegisterThreeVersionsAsync()
    {
        MongoTestServer.Require();
        S3TestServer.Require();
        var bucket = await S3TestServer.CreateBucketAsync();
        await Registry("dataset", "register", "--name", "shapes", "--classes", "red,green,blue,yellow");
        foreach (var version in new[] { "1", "2", "3" })
        {
            Json(await Registry("model", "register", "--name", "detector", "--dataset", "shapes@1", "--pin", await PushAsync(bucket, version: version), "--json"));
        }
    }

    private static JsonElement Json(CliRun run)
    {
        Assert.True(run.ExitCode == 0, $"exit {run.ExitCode}: {run.Error}");
        return JsonDocument.Parse(run.Output).RootElement;
    }

    [SkippableFact]
    public async Task Register_promote_deploy_roll_back_and_render_a_task_definition()
    {
        MongoTestServer.Require();
        S3TestServer.Require();
        var bucket = await S3TestServer.CreateBucketAsync();

        var dataset = Json(await Registry("dataset", "register", "--name", "shapes", "--source", "roboflow", "--workspace", "acme", "--project", "shapes", "--source-version", "3", "--classes", "red,green,blue,yellow", "--split", "train=70", "--split", "valid=20", "--json"));
        var v1 = Json(await Registry("model", "register", "--name", "detector", "--dataset", "shapes@1", "--pin", await PushAsync(bucket), "--framework", "ultralytics", "--map50", "0.91", "--hyperparameter", "lr0=0.01", "--json"));
        var v2 = Json(await Registry("model", "register", "--dataset", "shapes@1", "--pin", await PushAsync(bucket, version: "2"), "--json"));
        Json(await Registry("model", "promote", "detector@2", "--to", "production", "--target", "ecs", "--reason", "release", "--json"));

        var deployments = new List<string>();
        foreach (var version in new[] { 1, 2 })
        {
            // As the release workflow does: the task definition and CodeDeploy ids are known only when it finishes.
            var id = (await Registry("deployment", "start", "--model", $"detector@{version}", "--environment", "production", "--target", "ecs", "--strategy", "blue-green",
                "--image", $"registry.example/detector@sha256:{new string((char)('a' + version), 64)}")).Output.Trim();
            Json(await Registry("deployment", "finish", "--id", id, "--status", "succeeded", "--json",
                "--task-definition-arn", $"arn:aws:ecs:us-east-1:1:task-definition/detector:{version}", "--codedeploy-id", $"d-{version}"));
            deployments.Add(id);
        }

        var rollback = Json(await Registry("deployment", "rollback-target", "--environment", "production", "--target", "ecs", "--json"));
        var current = Json(await Registry("deployment", "current", "--environment", "production", "--target", "ecs", "--json"));
        var lineage = Json(await Registry("model", "lineage", "detector@1", "--json"));

        Assert.Equal(1, dataset.GetProperty("version").GetInt32());
        Assert.Equal("roboflow", dataset.GetProperty("source").GetProperty("kind").GetString());
        Assert.Equal(1, v1.GetProperty("version").GetInt32());
        Assert.Equal(2, v2.GetProperty("version").GetInt32());
        Assert.Equal("yolov8", v1.GetProperty("artifact").GetProperty("format").GetString());
        Assert.Equal(640, v1.GetProperty("artifact").GetProperty("input_width").GetInt32());
        Assert.Equal(Demo.Sha256, v1.GetProperty("artifact").GetProperty("weights").GetProperty("sha256").GetString());
        Assert.Equal("ci-bot", v1.GetProperty("created_by").GetString());
        Assert.Equal(deployments[1], current.GetProperty("id").GetString());
        Assert.Equal("d-2", current.GetProperty("code_deploy_deployment_id").GetString());
        Assert.Equal(deployments[0], rollback.GetProperty("target").GetProperty("id").GetString());
        Assert.Equal("arn:aws:ecs:us-east-1:1:task-definition/detector:1", rollback.GetProperty("target").GetProperty("task_definition_arn").GetString());
        Assert.Equal(v1.GetProperty("artifact").GetProperty("weights").GetProperty("version_id").GetString(), rollback.GetProperty("environment").GetProperty("Model__VersionId").GetString());
        Assert.Equal("shapes", lineage.GetProperty("dataset").GetProperty("name").GetString());
        Assert.Equal("acme", lineage.GetProperty("dataset").GetProperty("source").GetProperty("workspace").GetString());
        Assert.Equal(1, lineage.GetProperty("deployments").GetArrayLength());

        var template = Path.Combine(_directory, "task-definition.json");
        await File.WriteAllTextAsync(template, """
            { "family": "detector", "networkMode": "awsvpc",
              "containerDefinitions": [
                { "name": "detector", "image": "<IMAGE>", "environment": [ { "name": "Model__Uri", "value": "<MODEL_URI>" }, { "name": "ASPNETCORE_HTTP_PORTS", "value": "8080" } ],
                  "logConfiguration": { "logDriver": "awslogs", "options": { "awslogs-group": "<LOG_GROUP>" } } },
                { "name": "sidecar", "image": "busybox", "logConfiguration": { "logDriver": "awslogs", "options": { "awslogs-group": "<LOG_GROUP>" } } } ] }
            """);
        var rendered = Path.Combine(_directory, "rendered.json");
        string[] render1 = ["deploy", "render-task-definition", "--model", "detector@1", "--image", RenderedImage, "--template", template, "--output", rendered,
            "--mongo-uri", MongoTestServer.Uri!, "--database", _database];
        var unfilled = await CliRun.RunAsync(render1);
        var render = await CliRun.RunAsync([.. render1, "--placeholder", "LOG_GROUP=/ecs/detector-production"]);

        Assert.NotEqual(0, unfilled.ExitCode);
        Assert.Contains("<LOG_GROUP>", unfilled.Error, StringComparison.Ordinal);
        Assert.True(render.ExitCode == 0, render.Error);
        var task = JsonNode.Parse(await File.ReadAllTextAsync(rendered))!;
        var container = task["containerDefinitions"]![0]!;
        var environment = container["environment"]!.AsArray().ToDictionary(e => (string)e!["name"]!, e => (string)e!["value"]!);
        Assert.Equal(RenderedImage, (string)container["image"]!);
        Assert.Equal(v1.GetProperty("artifact").GetProperty("weights").GetProperty("uri").GetString(), environment["Model__Uri"]);
        Assert.Equal(Demo.Sha256, environment["Model__Sha256"]);
        Assert.Equal("8080", environment["ASPNETCORE_HTTP_PORTS"]);
        Assert.Equal(5 + 1, environment.Count);
        Assert.Equal("busybox", (string)task["containerDefinitions"]![1]!["image"]!);
        Assert.Equal("/ecs/detector-production", (string)task["containerDefinitions"]![1]!["logConfiguration"]!["options"]!["awslogs-group"]!);
    }

    [SkippableFact]
    public async Task Tables_are_readable_and_failures_exit_non_zero_with_a_sentence()
    {
        MongoTestServer.Require();
        S3TestServer.Require();
        var bucket = await S3TestServer.CreateBucketAsync();
        await Registry("dataset", "register", "--name", "shapes", "--classes", "red,green,blue,yellow", "--version", "2");

        var duplicate = await Registry("dataset", "register", "--name", "shapes", "--classes", "red", "--version", "2");
        var missingDataset = await Registry("model", "register", "--name", "detector", "--dataset", "shapes@9", "--pin", await PushAsync(bucket));
        var badStatus = await Registry("model", "list", "--status", "live");
        await Registry("model", "register", "--name", "detector", "--dataset", "shapes@2", "--pin", await PushAsync(bucket));
        var table = await Registry("model", "list");
        var missingModel = await Registry("model", "show", "detector@7", "--json");

        Assert.Equal(4, duplicate.ExitCode);
        Assert.Contains("Dataset 'shapes' version 2 already exists", duplicate.Error, StringComparison.Ordinal);
        Assert.Equal(3, missingDataset.ExitCode);
        Assert.Contains("Dataset 'shapes' version 9 is not registered", missingDataset.Error, StringComparison.Ordinal);
        Assert.Equal(2, badStatus.ExitCode);
        Assert.Contains("registered|staging|production|archived|withdrawn", badStatus.Error, StringComparison.Ordinal);
        Assert.Equal(3, missingModel.ExitCode);
        var error = JsonDocument.Parse(missingModel.Error).RootElement;
        Assert.Equal(("not-found", "Model 'detector' version 7 is not registered.", 3), (error.GetProperty("code").GetString(), error.GetProperty("message").GetString(), error.GetProperty("exit_code").GetInt32()));
        Assert.Equal(0, table.ExitCode);
        Assert.Contains("detector@1", table.Output, StringComparison.Ordinal);
        Assert.Contains("shapes@2", table.Output, StringComparison.Ordinal);
        Assert.Contains("registered", table.Output, StringComparison.Ordinal);
    }

    [SkippableFact]
    public async Task The_registered_version_is_the_manifest_version_the_service_reports()
    {
        MongoTestServer.Require();
        S3TestServer.Require();
        var bucket = await S3TestServer.CreateBucketAsync();
        await Registry("dataset", "register", "--name", "shapes", "--classes", "red,green,blue,yellow");

        var v3 = Json(await Registry("model", "register", "--dataset", "shapes@1", "--pin", await PushAsync(bucket, version: "3"), "--json"));
        var again = await Registry("model", "register", "--dataset", "shapes@1", "--pin", await PushAsync(bucket, version: "3"));
        var semver = await Registry("model", "register", "--dataset", "shapes@1", "--pin", await PushAsync(bucket, version: "1.0.0"));
        var otherName = await Registry("model", "register", "--name", "other", "--dataset", "shapes@1", "--pin", await PushAsync(bucket, version: "4"));

        Assert.Equal(("detector", 3), (v3.GetProperty("name").GetString(), v3.GetProperty("version").GetInt32()));
        Assert.Equal(4, again.ExitCode);
        Assert.Equal("error: detector@3 is already registered; versions are immutable, so push the model as version 4 (the next free one).", again.Error.Trim());
        Assert.Equal(2, semver.ExitCode);
        Assert.Contains("The manifest's version '1.0.0' cannot be a registry version", semver.Error, StringComparison.Ordinal);
        Assert.Contains("push the model again with --version 4", semver.Error, StringComparison.OrdinalIgnoreCase);
        Assert.Equal(2, otherName.ExitCode);
        Assert.Contains("--name is 'other', but the pinned manifest names the model 'detector'", otherName.Error, StringComparison.Ordinal);
        Assert.Single(JsonDocument.Parse((await Registry("model", "list", "--json")).Output).RootElement.EnumerateArray());
    }

    [SkippableFact]
    public async Task A_model_whose_class_count_differs_from_its_datasets_is_refused_with_a_sentence()
    {
        MongoTestServer.Require();
        S3TestServer.Require();
        Skip.IfNot(YoloxFixture.Available, YoloxFixture.SkipReason);
        var bucket = await S3TestServer.CreateBucketAsync();
        await Registry("dataset", "register", "--name", "shapes", "--classes", "red,green,blue,yellow");
        var manifest = Path.Combine(_directory, "yolox.json");
        await File.WriteAllTextAsync(manifest, YoloxFixture.Manifest().ToJson());
        var pin = await PushAsync(bucket, "yolox-nano", "1", Path.Combine(YoloxFixture.ModelDirectory, YoloxFixture.DynamicModel), manifest);

        var run = await Registry("model", "register", "--dataset", "shapes@1", "--pin", pin);

        Assert.Equal(2, run.ExitCode);
        Assert.Equal(
            "error: The model has 80 classes, but dataset 'shapes' version 1 has 4 (red, green, blue, yellow); a model registers against the dataset it was trained on.",
            run.Error.Trim());
        Assert.Empty(JsonDocument.Parse((await Registry("model", "list", "--json")).Output).RootElement.EnumerateArray());
    }

    [SkippableFact]
    public async Task A_pin_to_bytes_that_are_no_model_is_refused_before_anything_is_written()
    {
        MongoTestServer.Require();
        S3TestServer.Require();
        var bucket = await S3TestServer.CreateBucketAsync();
        await Registry("dataset", "register", "--name", "shapes", "--classes", "red,green,blue,yellow");
        var bytes = new byte[100_000];
        new Random(9).NextBytes(bytes);
        var sha256 = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(bytes));
        var weights = await S3TestServer.PutAsync(bucket, "models/detector/model.onnx", bytes);
        var manifest = await S3TestServer.PutAsync(bucket, "models/detector/manifest.json", System.Text.Encoding.UTF8.GetBytes(
            (Demo with { Name = "detector", Version = "1", Sha256 = sha256, Weights = "model.onnx", Golden = [] }).ToJson()));
        var pin = Path.Combine(_directory, "pin.json");
        await File.WriteAllTextAsync(pin, JsonSerializer.Serialize(new
        {
            model = new { name = "detector", version = "1" },
            weights = new { uri = weights.Uri, version_id = weights.VersionId, sha256, size = bytes.Length },
            manifest = new { uri = manifest.Uri, version_id = manifest.VersionId },
        }));

        var run = await Registry("model", "register", "--dataset", "shapes@1", "--pin", pin, "--json");

        Assert.Equal(2, run.ExitCode);
        var error = JsonDocument.Parse(run.Error).RootElement;
        Assert.Equal("model-invalid", error.GetProperty("code").GetString());
        Assert.StartsWith("The pinned model detector 1 was not registered, because the service would refuse it: ", error.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Contains("could not be loaded as an ONNX model", error.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Empty(JsonDocument.Parse((await Registry("model", "list", "--json")).Output).RootElement.EnumerateArray());
    }

    [Fact]
    public async Task An_unreachable_mongodb_is_one_sentence_naming_server_database_and_cause_within_seconds()
    {
        var clock = Stopwatch.StartNew();
        var port = LoopbackPorts.Free();

        var run = await CliRun.RunAsync("registry", "dataset", "list", "--mongo-uri", $"mongodb://someone:secret@127.0.0.1:{port}/x");

        Assert.Equal(1, run.ExitCode);
        Assert.Equal($"error: MongoDB at 127.0.0.1:{port} (database 'x') did not answer within 5 s: connection refused.", run.Error.Trim());
        Assert.DoesNotContain("secret", run.Error, StringComparison.Ordinal);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(8), $"Took {clock.Elapsed}.");
    }

    [Fact]
    public async Task Without_a_registry_uri_the_verb_says_how_to_give_one()
    {
        var run = await CliRun.RunAsync("registry", "dataset", "list");

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("--mongo-uri or set Registry__MongoUri", run.Error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("registry.example/detector:latest", "it has no digest")]
    [InlineData("registry.example/detector@sha256:abc", "not 64 lower-case hex digits")]
    [InlineData("registry.example/detector:v1@sha256:abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789", "names a tag as well as a digest")]
    public async Task Render_refuses_an_image_that_is_not_a_digest_before_reaching_the_registry(string image, string reason)
    {
        var template = Path.Combine(_directory, "task-definition.json");
        var rendered = Path.Combine(_directory, "rendered.json");
        await File.WriteAllTextAsync(template, """{ "containerDefinitions": [ { "name": "detector", "image": "<IMAGE>" } ] }""");

        // An unreachable registry: the refusal must come first, and at once.
        var run = await CliRun.RunAsync("deploy", "render-task-definition", "--model", "detector@1", "--image", image, "--template", template, "--output", rendered,
            "--mongo-uri", $"mongodb://127.0.0.1:{LoopbackPorts.Free()}/x");

        Assert.Equal(2, run.ExitCode);
        Assert.Contains(reason, run.Error, StringComparison.Ordinal);
        Assert.Contains("repository@sha256:<64 hex digits>", run.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("did not answer", run.Error, StringComparison.Ordinal);
        Assert.False(File.Exists(rendered));
    }

    [SkippableFact]
    public async Task A_second_start_is_refused_rollbacks_walk_back_and_a_withdrawn_model_is_passed_over()
    {
        await RegisterThreeVersionsAsync();

        string[] Start(int version) => ["deployment", "start", "--model", $"detector@{version}", "--environment", "production", "--target", "ecs", "--strategy", "blue-green",
            "--image", ImageOf(version)];
        async Task<string> ReleaseAsync(params string[] start)
        {
            var id = Json(await Registry([.. start, "--json"])).GetProperty("id").GetString()!;
            Json(await Registry("deployment", "finish", "--id", id, "--status", "succeeded", "--task-definition-arn", $"arn:aws:ecs:us-east-1:1:task-definition/detector:{id}", "--json"));
            return id;
        }

        var a = await ReleaseAsync(Start(1));
        var b = await ReleaseAsync(Start(2));
        var running = Json(await Registry([.. Start(3), "--json"])).GetProperty("id").GetString()!;
        var refused = await Registry(Start(3));
        var inProgress = Json(await Registry("deployment", "list", "--environment", "production", "--target", "ecs", "--status", "in-progress", "--json"));
        Json(await Registry("deployment", "finish", "--id", running, "--status", "succeeded", "--json"));

        var first = Json(await Registry("deployment", "rollback-target", "--environment", "production", "--target", "ecs", "--json"));
        var rollback = await ReleaseAsync([.. Start(2), "--restores", first.GetProperty("target").GetProperty("id").GetString()!]);
        var second = Json(await Registry("deployment", "rollback-target", "--environment", "production", "--target", "ecs", "--json"));

        Json(await Registry("model", "promote", "detector@1", "--to", "production", "--target", "ecs", "--json"));
        var withdrawn = Json(await Registry("model", "withdraw", "detector@1", "--reason", "misses small objects", "--json"));
        var text = await Registry("deployment", "rollback-target", "--environment", "production", "--target", "ecs");
        var production = Json(await Registry("model", "list", "--status", "production", "--json"));

        Assert.Equal(4, refused.ExitCode);
        Assert.Contains($"A deployment to production on ecs is already in progress (detector@3 (deployment {running}", refused.Error, StringComparison.Ordinal);
        Assert.Equal([running], inProgress.EnumerateArray().Select(d => d.GetProperty("id").GetString()));
        Assert.Equal(b, first.GetProperty("target").GetProperty("id").GetString());
        Assert.Equal(2, first.GetProperty("model").GetProperty("version").GetInt32());
        Assert.Equal(rollback, second.GetProperty("current").GetProperty("id").GetString());
        Assert.Equal(b, second.GetProperty("current").GetProperty("restores_deployment_id").GetString());
        Assert.Equal(a, second.GetProperty("target").GetProperty("id").GetString());
        Assert.Equal(ImageOf(1), second.GetProperty("target").GetProperty("image").GetString());
        Assert.Equal(0, second.GetProperty("passed_over").GetArrayLength());
        Assert.Equal("withdrawn", withdrawn.GetProperty("status").GetString());
        Assert.Equal(0, production.GetArrayLength());
        Assert.Equal(3, text.ExitCode);
        Assert.Contains($"No rollback target for production on ecs: nothing served before detector@1 (deployment {a}", text.Error, StringComparison.Ordinal);
        Assert.Contains($"passed over detector@1 (deployment {a}", text.Error, StringComparison.Ordinal);
        Assert.Contains("detector@1 was withdrawn from production", text.Error, StringComparison.Ordinal);
    }

    [SkippableFact]
    public async Task The_rollback_target_says_in_words_what_would_serve()
    {
        await RegisterThreeVersionsAsync();

        var ids = new List<string>();
        foreach (var version in new[] { 1, 2, 3 })
        {
            var id = (await Registry("deployment", "start", "--model", $"detector@{version}", "--environment", "staging", "--target", "lambda", "--strategy", "canary", "--image", ImageOf(version))).Output.Trim();
            Json(await Registry("deployment", "finish", "--id", id, "--status", "succeeded", "--json"));
            ids.Add(id);
        }

        Json(await Registry("model", "promote", "detector@2", "--to", "production", "--target", "lambda", "--json"));
        Json(await Registry("model", "withdraw", "detector@2", "--json"));
        var run = await Registry("deployment", "rollback-target", "--environment", "staging", "--target", "lambda");

        Assert.True(run.ExitCode == 0, run.Error);
        Assert.Contains($"Current:     detector@3 since", run.Output, StringComparison.Ordinal);
        Assert.Contains($"({ids[2]}), model registered", run.Output, StringComparison.Ordinal);
        Assert.Contains($"Rollback to: detector@1 since", run.Output, StringComparison.Ordinal);
        Assert.Contains($"Would serve: detector@1 (registered), image {ImageOf(1)}, task definition -", run.Output, StringComparison.Ordinal);
        Assert.Contains($"({ids[1]}): detector@2 was withdrawn from production", run.Output, StringComparison.Ordinal);
        Assert.Contains("Model__Sha256=", run.Output, StringComparison.Ordinal);
    }

    private static string ImageOf(int version) => "registry.example/detector@sha256:" + new string((char)('a' + version), 64);
}
