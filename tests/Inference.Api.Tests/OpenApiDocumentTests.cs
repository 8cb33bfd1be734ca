using System.Diagnostics;
using System.Text.Json;
using Inference.Api.Tests.Support;
using Inference.Testing;

namespace Inference.Api.Tests;

/// <summary>
/// The OpenAPI document the running service serves: Redocly's recommended rules pass, a client generated from it
/// (openapi-typescript) compiles against what the service really answers, and every operation is described.
/// </summary>
public sealed class OpenApiDocumentTests(DemoServiceFixture fixture) : IClassFixture<DemoServiceFixture>
{
    private static readonly string Tools = Path.Combine(RepositoryPaths.Root, "tools", "openapi-lint");

    [SkippableFact]
    public async Task Redocly_lint_passes_with_the_recommended_rules()
    {
        var cli = Require(Path.Combine(Tools, "node_modules", "@redocly", "cli", "bin", "cli.js"));
        using var document = await SaveDocumentAsync();

        var (exitCode, output, errors) = await RunNodeAsync(cli, "lint", "--config", Path.Combine(Tools, "redocly.yaml"), "--format", "json", document.Path);

        Assert.True(exitCode == 0, output + errors);
        var totals = JsonDocument.Parse(output).RootElement.GetProperty("totals");
        Assert.True(totals.GetProperty("errors").GetInt32() == 0 && totals.GetProperty("warnings").GetInt32() == 0, output);
    }

    [SkippableFact]
    public async Task A_typescript_client_generated_from_the_document_compiles_against_the_real_answer_shapes()
    {
        var generator = Require(Path.Combine(Tools, "node_modules", "openapi-typescript", "bin", "cli.js"));
        var compiler = Require(Path.Combine(Tools, "node_modules", "typescript", "bin", "tsc"));
        using var document = await SaveDocumentAsync();
        var consumer = Path.Combine(document.Directory, "client-check.ts");
        File.Copy(Path.Combine(Tools, "client-check.ts"), consumer);

        var generated = await RunNodeAsync(generator, document.Path, "-o", Path.Combine(document.Directory, "api.ts"));
        var compiled = await RunNodeAsync(compiler, "--noEmit", "--strict", "--target", "es2022", "--module", "es2022", "--moduleResolution", "bundler", consumer);

        Assert.True(generated.ExitCode == 0, generated.Output + generated.Errors);
        Assert.True(compiled.ExitCode == 0, compiled.Output + compiled.Errors);
    }

    [Fact]
    public async Task Every_operation_has_an_id_a_summary_and_described_parameters_and_takes_input_only_with_its_4xx()
    {
        var document = await DocumentAsync();
        var ids = new List<string>();
        foreach (var (path, method, operation) in Operations(document))
        {
            var where = $"{method.ToUpperInvariant()} {path}";
            ids.Add(operation.TryGetProperty("operationId", out var id) ? id.GetString()! : $"(none: {where})");
            Assert.False(string.IsNullOrWhiteSpace(operation.TryGetProperty("summary", out var summary) ? summary.GetString() : null), $"{where} has no summary.");
            foreach (var parameter in operation.TryGetProperty("parameters", out var parameters) ? parameters.EnumerateArray() : Enumerable.Empty<JsonElement>())
            {
                Assert.True(parameter.TryGetProperty("description", out var description) && description.GetString()!.Length > 0, $"{where}: parameter {parameter.GetProperty("name")} has no description.");
            }

            if (operation.TryGetProperty("requestBody", out _) || operation.TryGetProperty("parameters", out _))
            {
                Assert.True(operation.GetProperty("responses").EnumerateObject().Any(r => r.Name.StartsWith('4')), $"{where} takes input but declares no 4xx answer.");
                Assert.False(string.IsNullOrWhiteSpace(operation.TryGetProperty("description", out var description) ? description.GetString() : null), $"{where} takes input but has no description.");
            }
        }

        Assert.DoesNotContain(ids, i => i.StartsWith("(none", StringComparison.Ordinal));
        Assert.Equal(ids.Count, ids.Distinct().Count());
    }

    [Theory]
    [InlineData("/v1/detect", "post", "DetectionResponse")]
    [InlineData("/v1/models/{id}/detect", "post", "DetectionResponse")]
    [InlineData("/invocations", "post", "DetectionResponse")]
    [InlineData("/infer/object_detection", "post", "RoboflowResponse")]
    public async Task One_image_and_several_are_both_declared_answers(string path, string method, string schema)
    {
        var document = await DocumentAsync();

        var answer = document.GetProperty("paths").GetProperty(path).GetProperty(method).GetProperty("responses").GetProperty("200")
            .GetProperty("content").GetProperty("application/json").GetProperty("schema");

        var choices = answer.GetProperty("oneOf").EnumerateArray().ToList();
        Assert.Equal($"#/components/schemas/{schema}", choices[0].GetProperty("$ref").GetString());
        Assert.Equal("array", choices[1].GetProperty("type").GetString());
        Assert.Equal($"#/components/schemas/{schema}", choices[1].GetProperty("items").GetProperty("$ref").GetString());
    }

    [Fact]
    public async Task Numbers_are_numbers_problems_have_their_extensions_and_429_says_when_to_retry()
    {
        var document = await DocumentAsync();

        Assert.DoesNotContain(Schemas(document), s => s.TryGetProperty("type", out var type) && type.ValueKind == JsonValueKind.Array
            && type.EnumerateArray().Select(t => t.GetString()).Intersect(["number", "integer"]).Any() && type.EnumerateArray().Any(t => t.GetString() == "string"));
        var problem = document.GetProperty("components").GetProperty("schemas").GetProperty("ProblemDetails");
        Assert.Superset(new HashSet<string> { "type", "title", "status", "detail", "code", "trace_id", "errors", "image_index", "state" }, problem.GetProperty("properties").EnumerateObject().Select(p => p.Name).ToHashSet());
        Assert.Contains("code", problem.GetProperty("required").EnumerateArray().Select(r => r.GetString()));
        Assert.Equal("integer", problem.GetProperty("properties").GetProperty("status").GetProperty("type").GetString());
        foreach (var (path, method, operation) in Operations(document))
        {
            if (operation.GetProperty("responses").TryGetProperty("429", out var tooMany))
            {
                Assert.True(tooMany.TryGetProperty("headers", out var headers) && headers.TryGetProperty("Retry-After", out _), $"{method} {path}: 429 without Retry-After.");
            }
        }

        var confidence = Operations(document).Single(o => o.Path == "/v1/detect").Operation.GetProperty("parameters").EnumerateArray().Single(p => p.GetProperty("name").GetString() == "confidence");
        Assert.Equal(("number", 0, 1), (confidence.GetProperty("schema").GetProperty("type").GetString(), confidence.GetProperty("schema").GetProperty("minimum").GetInt32(), confidence.GetProperty("schema").GetProperty("maximum").GetInt32()));
    }

    [Fact]
    public async Task Every_front_end_is_in_the_document_and_keys_are_optional_while_off()
    {
        var document = await DocumentAsync();
        var paths = document.GetProperty("paths");

        foreach (var route in new[] { "/{project}/{version}", "/infer/object_detection", "/model/registry", "/model/add", "/ping", "/invocations", "/execution-parameters", "/v2", "/v2/health/live", "/v2/health/ready", "/v2/models/{name}", "/v2/models/{name}/versions/{version}", "/v2/models/{name}/ready", "/v2/models/{name}/infer", "/v2/models/{name}/versions/{version}/infer" })
        {
            Assert.True(paths.TryGetProperty(route, out _), $"{route} is missing from the OpenAPI document.");
        }

        var security = paths.GetProperty("/v1/detect").GetProperty("post").GetProperty("security");
        Assert.Contains(security.EnumerateArray(), r => !r.EnumerateObject().Any());
        Assert.Equal("/", document.GetProperty("servers")[0].GetProperty("url").GetString());
    }

    private async Task<JsonElement> DocumentAsync() => await (await fixture.Service.Client.GetAsync("/openapi/v1.json")).ReadAs<JsonElement>();

    private async Task<SavedDocument> SaveDocumentAsync()
    {
        var saved = new SavedDocument();
        await File.WriteAllTextAsync(saved.Path, await fixture.Service.Client.GetStringAsync("/openapi/v1.json"));
        return saved;
    }

    private static IEnumerable<(string Path, string Method, JsonElement Operation)> Operations(JsonElement document) =>
        document.GetProperty("paths").EnumerateObject().SelectMany(p => p.Value.EnumerateObject().Select(o => (p.Name, o.Name, o.Value)));

    private static IEnumerable<JsonElement> Schemas(JsonElement element)
    {
        if (element.ValueKind == JsonValueKind.Object)
        {
            yield return element;
            foreach (var property in element.EnumerateObject())
            {
                foreach (var inner in Schemas(property.Value))
                {
                    yield return inner;
                }
            }
        }
        else if (element.ValueKind == JsonValueKind.Array)
        {
            foreach (var item in element.EnumerateArray())
            {
                foreach (var inner in Schemas(item))
                {
                    yield return inner;
                }
            }
        }
    }

    /// <summary>The tool's path; skips without it, or fails where the run promised its tools (scripts/test.sh).</summary>
    private static string Require(string path)
    {
        if (!File.Exists(path))
        {
            Assert.True(Environment.GetEnvironmentVariable("INFERENCE_REQUIRE_TOOLS") != "1", $"{path} is required but missing: run 'npm ci' in tools/openapi-lint (scripts/test.sh does).");
            Skip.If(true, $"{Path.GetFileName(path)} is not installed: run 'npm ci' in tools/openapi-lint.");
        }

        return path;
    }

    private static async Task<(int ExitCode, string Output, string Errors)> RunNodeAsync(params string[] arguments)
    {
        var start = new ProcessStartInfo("node", arguments) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = Tools };

        // Without this every run tries to send telemetry, which takes seconds where DNS goes nowhere.
        start.Environment["REDOCLY_TELEMETRY"] = "off";
        start.Environment["NO_COLOR"] = "1";
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, await output, await error);
    }

    private sealed class SavedDocument : IDisposable
    {
        public string Directory { get; } = System.IO.Directory.CreateTempSubdirectory("openapi-").FullName;

        public string Path => System.IO.Path.Combine(Directory, "openapi.json");

        public void Dispose() => System.IO.Directory.Delete(Directory, recursive: true);
    }
}
