using System.Text.Json;
using Amazon.Runtime;
using Inference.Lambda.Aws;
using Inference.Lambda.Runtime;
using Inference.Lambda.Tests.Support;
using Inference.Lambda.Validation;
using Inference.Testing;
using Microsoft.Extensions.Logging.Abstractions;

namespace Inference.Lambda.Tests;

/// <summary>
/// The hook validator against real service processes: it passes a good release and fails, with the check and the
/// reason, a release that serves another version, fails its golden check, is too slow, or never becomes ready.
/// CodeDeploy is the loopback fake; each verdict must reach it.
/// </summary>
public sealed class ValidatorTests : IAsyncLifetime, IClassFixture<ValidatorTests.HealthyService>
{
    private readonly HealthyService _service;
    private readonly HttpClient _http = new();
    private readonly string _scratch = Directory.CreateTempSubdirectory("validator-").FullName;
    private FakeCodeDeploy _codeDeploy = null!;

    public ValidatorTests(HealthyService service) => _service = service;

    public async Task InitializeAsync() => _codeDeploy = await FakeCodeDeploy.StartAsync();

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _codeDeploy.DisposeAsync();
        Directory.Delete(_scratch, recursive: true);
    }

    [Fact]
    public async Task A_healthy_release_of_the_expected_model_passes_every_check()
    {
        var (report, call) = await ValidateAsync(_service.Api.Client.BaseAddress!);

        Assert.True(report.GetProperty("passed").GetBoolean(), report.ToString());
        Assert.Equal(["ready", "model", "golden", "latency"], Checks(report).Select(c => c.GetProperty("check").GetString()));
        Assert.Contains("p95", Checks(report)[3].GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal("Succeeded", call.Status);
    }

    [Fact]
    public async Task A_release_serving_another_version_fails_at_the_model_check()
    {
        var (report, call) = await ValidateAsync(_service.Api.Client.BaseAddress!, ("VALIDATOR_EXPECTED_MODEL_VERSION", "2.0.0"));

        AssertFailedAt(report, "model", "version is '2', expected '2.0.0'");
        Assert.Equal("Failed", call.Status);
    }

    [Fact]
    public async Task A_release_whose_golden_check_fails_is_stopped()
    {
        await using var shifted = await Services.WithFailingGoldenCheckAsync(_scratch);

        var (report, call) = await ValidateAsync(shifted.Client.BaseAddress!);

        AssertFailedAt(report, "golden", "/health/golden answered 503: default/samples/golden.png");
        Assert.Equal("Failed", call.Status);
    }

    [Fact]
    public async Task A_release_slower_than_the_latency_budget_is_stopped()
    {
        var (report, call) = await ValidateAsync(_service.Api.Client.BaseAddress!, ("VALIDATOR_P95_BUDGET_MS", "1"), ("VALIDATOR_REQUESTS", "5"));

        AssertFailedAt(report, "latency", "budget p95 1 ms");
        Assert.Equal("Failed", call.Status);
    }

    [Fact]
    public async Task A_release_that_is_not_ready_fails_at_the_first_check()
    {
        await using var notReady = await Services.NeverReadyAsync();

        var (report, call) = await ValidateAsync(notReady.Client.BaseAddress!);

        AssertFailedAt(report, "ready", "/health/ready answered 503");
        Assert.Single(Checks(report));
        Assert.Equal("Failed", call.Status);
    }

    [Fact]
    public async Task A_release_that_does_not_answer_fails_without_hanging_the_hook()
    {
        using var hanging = new HangingServer();

        var (report, call) = await ValidateAsync(hanging.Url, ("VALIDATOR_REQUEST_TIMEOUT_MS", "500"));

        AssertFailedAt(report, "ready", "did not answer within 500 ms");
        Assert.Equal("Failed", call.Status);
    }

    [Fact]
    public async Task A_function_url_with_iam_auth_gets_signed_requests_and_refuses_unsigned_ones()
    {
        await using var url = await IamFunctionUrl.StartAsync(_service.Api.Client.BaseAddress!);

        var (signed, signedCall) = await ValidateAsync(url.Url, ("VALIDATOR_SIGNING_SERVICE", "lambda"));
        var (unsigned, unsignedCall) = await ValidateAsync(url.Url, ("VALIDATOR_SIGNING_SERVICE", "none"));

        Assert.True(signed.GetProperty("passed").GetBoolean(), signed.ToString());
        Assert.Equal("Succeeded", signedCall.Status);
        AssertFailedAt(unsigned, "ready", "/health/ready answered 403");
        Assert.Equal("Failed", unsignedCall.Status);
    }

    [Theory]
    [InlineData("https://abcdefgh.lambda-url.eu-west-1.on.aws/", null, "lambda")]
    [InlineData("https://abcdefgh.lambda-url.eu-west-1.on.aws/", "none", null)]
    [InlineData("http://internal-detector-123.eu-west-1.elb.amazonaws.com:9000/", null, null)]
    [InlineData("https://detector.example.com/", "execute-api", "execute-api")]
    public void Function_urls_are_signed_for_lambda_unless_told_otherwise(string target, string? configured, string? expected)
    {
        var environment = Environment(new Uri(target));
        environment["VALIDATOR_SIGNING_SERVICE"] = configured;

        var settings = ValidatorSettings.FromEnvironment(n => environment.GetValueOrDefault(n), AppContext.BaseDirectory);

        Assert.Equal(expected, settings.SigningService);
    }

    [Theory]
    [InlineData("VALIDATOR_TARGET_URL", "not a url", "VALIDATOR_TARGET_URL must be an absolute http(s) URL")]
    [InlineData("VALIDATOR_EXPECTED_MODEL_SHA256", "", "VALIDATOR_EXPECTED_MODEL_SHA256 is not set")]
    [InlineData("VALIDATOR_REQUESTS", "0", "VALIDATOR_REQUESTS must be a number from 1 to 1000")]
    public void A_validator_that_does_not_know_what_to_expect_refuses_to_start(string name, string value, string expected)
    {
        var environment = Environment(_service.Api.Client.BaseAddress!);
        environment[name] = value;

        var failure = Assert.Throws<InvalidOperationException>(() => ValidatorSettings.FromEnvironment(n => environment.GetValueOrDefault(n), AppContext.BaseDirectory));

        Assert.Contains(expected, failure.Message, StringComparison.Ordinal);
    }

    private static ImmutableCredentials Credentials => new(FakeCodeDeploy.AccessKey, FakeCodeDeploy.SecretKey, FakeCodeDeploy.SessionToken);

    private static Dictionary<string, string?> Environment(Uri target) => new()
    {
        ["VALIDATOR_TARGET_URL"] = target.ToString(),
        ["VALIDATOR_EXPECTED_MODEL_NAME"] = Services.Demo.Name,
        ["VALIDATOR_EXPECTED_MODEL_VERSION"] = Services.Demo.Version,
        ["VALIDATOR_EXPECTED_MODEL_SHA256"] = Services.Demo.Sha256,
        ["VALIDATOR_REQUESTS"] = "10",
        ["VALIDATOR_P95_BUDGET_MS"] = "5000",
    };

    private async Task<(JsonElement Report, HookStatusCall Call)> ValidateAsync(Uri target, params (string Name, string Value)[] overrides)
    {
        var environment = Environment(target);
        foreach (var (name, value) in overrides)
        {
            environment[name] = value;
        }

        var settings = ValidatorSettings.FromEnvironment(n => environment.GetValueOrDefault(n), AppContext.BaseDirectory);
        var codeDeploy = new CodeDeployClient(new AwsJsonClient(
            _http,
            new AwsEndpoint(new Uri(_codeDeploy.Url), FakeCodeDeploy.Region, "codedeploy"),
            _ => Task.FromResult(Credentials)));
        var signer = settings.SigningService is { } service ? new SigV4Signer(FakeCodeDeploy.Region, service, _ => Task.FromResult(Credentials)) : null;
        var handler = new ValidatorHandler(settings, _http, codeDeploy, NullLogger.Instance, signer);

        var invocation = new Invocation("request-1", DateTimeOffset.UtcNow.AddMinutes(2), null, null, Events.Hook("d-VALIDATE1", "hook-1"));
        var report = JsonDocument.Parse(await handler.HandleAsync(invocation, CancellationToken.None)).RootElement.Clone();
        var call = await _codeDeploy.NextCallAsync(TimeSpan.FromSeconds(5));
        Assert.Equal(("d-VALIDATE1", "hook-1"), (call.DeploymentId, call.LifecycleEventHookExecutionId));
        return (report, call);
    }

    private static JsonElement[] Checks(JsonElement report) => [.. report.GetProperty("checks").EnumerateArray()];

    private static void AssertFailedAt(JsonElement report, string check, string reason)
    {
        Assert.False(report.GetProperty("passed").GetBoolean(), report.ToString());
        var failed = Checks(report)[^1];
        Assert.Equal(check, failed.GetProperty("check").GetString());
        Assert.False(failed.GetProperty("passed").GetBoolean());
        Assert.Contains(reason, report.GetProperty("reason").GetString(), StringComparison.Ordinal);
        Assert.StartsWith($"{check}: ", report.GetProperty("reason").GetString(), StringComparison.Ordinal);
    }

    /// <summary>One healthy service on the demo model for the class.</summary>
    public sealed class HealthyService : IAsyncLifetime
    {
        public ApiProcess Api { get; private set; } = null!;

        public async Task InitializeAsync() => Api = await Services.HealthyAsync();

        public async Task DisposeAsync() => await Api.DisposeAsync();
    }
}
