using System.Text.Json;
using Inference.Lambda.Tests.Support;
using Inference.Testing;

namespace Inference.Lambda.Tests;

/// <summary>
/// The real published <c>bootstrap</c>, as a child process, against the loopback Runtime API: a success, a handler
/// exception (→ <c>/error</c>), init failures (→ <c>/init/error</c> and exit), and deadlines.
/// </summary>
[Collection(PublishedBootstrapGroup.Name)]
public sealed class RuntimeApiTests(PublishedBootstrap bootstrap) : IAsyncLifetime
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);
    private FakeLambdaRuntime _runtime = null!;
    private FakeCodeDeploy _codeDeploy = null!;

    public async Task InitializeAsync()
    {
        _runtime = await FakeLambdaRuntime.StartAsync();
        _codeDeploy = await FakeCodeDeploy.StartAsync();
    }

    public async Task DisposeAsync()
    {
        await _runtime.DisposeAsync();
        await _codeDeploy.DisposeAsync();
    }

    [SkippableFact]
    public async Task Detect_invocations_are_answered_on_the_response_endpoint_with_json_logs_per_request()
    {
        await using var lambda = LambdaProcess.Start(bootstrap.Directory, _runtime.Endpoint, "detect");
        var image = await File.ReadAllBytesAsync(Path.Combine(RepositoryPaths.DemoModelDirectory, "samples", "golden.png"));
        const string Trace = "Root=1-6745a1b2-0123456789abcdef01234567;Parent=53995c3f42cd8ad8;Sampled=1";

        var first = await _runtime.InvokeAsync(Events.FunctionUrl("POST", "/v1/detect", image, "image/png"), TimeSpan.FromSeconds(30), Trace).WaitAsync(Patience);
        var garbage = await _runtime.InvokeAsync(Events.FunctionUrl("POST", "/v1/detect", [0, 1, 2, 3], "image/png"), TimeSpan.FromSeconds(30)).WaitAsync(Patience);

        Assert.False(first.IsError, first.Json.ToString());
        var (status, _, body) = Events.Result(first.Body);
        Assert.Equal(200, status);
        Assert.Equal(4, body.GetProperty("detections").GetArrayLength());
        Assert.Equal("shapes-demo", body.GetProperty("model").GetProperty("name").GetString());
        Assert.False(garbage.IsError);
        Assert.Equal(400, Events.Result(garbage.Body).Status);
        Assert.False(lambda.HasExited);

        // Every line is JSON; invocation lines carry the request id and the X-Ray header in their scopes.
        var logs = lambda.LogEntries();
        Assert.NotEmpty(logs);
        Assert.Contains(logs, l => l.GetProperty("Scopes").EnumerateArray().Any(s => s.TryGetProperty("AwsRequestId", out var id) && id.GetString() == first.RequestId
            && s.TryGetProperty("XRayTraceId", out var trace) && trace.GetString() == Trace));
    }

    [SkippableFact]
    public async Task A_handler_exception_goes_to_the_error_endpoint_and_the_runtime_keeps_serving()
    {
        await using var lambda = LambdaProcess.Start(bootstrap.Directory, _runtime.Endpoint, "validate", ValidatorEnvironment(new Uri("http://127.0.0.1:9/")));

        var notAHook = await _runtime.InvokeAsync("{\"detail\": \"an EventBridge event, say\"}"u8.ToArray(), TimeSpan.FromSeconds(30)).WaitAsync(Patience);
        var again = await _runtime.InvokeAsync("[]"u8.ToArray(), TimeSpan.FromSeconds(30)).WaitAsync(Patience);

        Assert.True(notAHook.IsError);
        Assert.Equal("Unhandled", notAHook.ErrorTypeHeader);
        Assert.Equal("InvalidDataException", notAHook.Json.GetProperty("errorType").GetString());
        Assert.Contains("DeploymentId and LifecycleEventHookExecutionId are required", notAHook.Json.GetProperty("errorMessage").GetString(), StringComparison.Ordinal);
        Assert.Equal(JsonValueKind.Array, notAHook.Json.GetProperty("stackTrace").ValueKind);
        Assert.True(again.IsError);
        Assert.False(lambda.HasExited);
    }

    public static TheoryData<string, string, string, string> InitFailures() => new()
    {
        { "transcode", "{}", "Runtime.NoSuchHandler", "this function has the handlers 'detect', 'preprocess', 'validate'" },
        { "detect", "{\"Model__Uri\": \"s3://models/detector/model.onnx\", \"Model__VersionId\": \"v1\"}", "Runtime.InitError", "Model:Sha256 is required" },
        { "validate", "{}", "Runtime.InitError", "VALIDATOR_TARGET_URL must be an absolute http(s) URL" },
    };

    [SkippableTheory]
    [MemberData(nameof(InitFailures))]
    public async Task An_init_failure_goes_to_init_error_and_the_process_exits(string handler, string environmentJson, string category, string message)
    {
        var environment = JsonSerializer.Deserialize<Dictionary<string, string>>(environmentJson)!;
        await using var lambda = LambdaProcess.Start(bootstrap.Directory, _runtime.Endpoint, handler, environment);

        var report = await _runtime.InitError.WaitAsync(Patience);
        var exitCode = await lambda.WaitForExitAsync(Patience);

        Assert.Equal(category, report.ErrorTypeHeader);
        Assert.Contains(message, report.Json.GetProperty("errorMessage").GetString(), StringComparison.Ordinal);
        Assert.Equal(1, exitCode);
        Assert.False(_runtime.Initialised.IsCompleted, "The runtime asked for an event after its init failed.");
    }

    [SkippableFact]
    public async Task A_handler_still_running_at_its_deadline_is_reported_before_the_deadline()
    {
        using var hanging = new HangingServer();
        await using var lambda = LambdaProcess.Start(bootstrap.Directory, _runtime.Endpoint, "validate", ValidatorEnvironment(hanging.Url, reserveMs: 0));
        // The deadline counts from the invocation, so a cold start on a busy host would eat into it: wait for the first poll.
        await _runtime.Initialised.WaitAsync(Patience);

        // Five seconds: the runtime keeps 500 ms back to answer, room on a busy 2-core host.
        var report = await _runtime.InvokeAsync(Events.Hook(), TimeSpan.FromSeconds(5)).WaitAsync(Patience);

        Assert.True(report.IsError, report.Json.ToString());
        Assert.Equal("Runtime.DeadlineExceeded", report.ErrorTypeHeader);
        Assert.True(report.At < report.Deadline, $"Reported at {report.At:O}, after the deadline {report.Deadline:O}.");
        Assert.False(lambda.HasExited);
    }

    [SkippableFact]
    public async Task The_validator_near_its_deadline_reports_failed_to_codedeploy_and_returns_cleanly()
    {
        using var hanging = new HangingServer();
        await using var lambda = LambdaProcess.Start(bootstrap.Directory, _runtime.Endpoint, "validate", ValidatorEnvironment(hanging.Url, reserveMs: 2000));
        await _runtime.Initialised.WaitAsync(Patience);

        var report = await _runtime.InvokeAsync(Events.Hook("d-NEARDEADLINE", "hook-7"), TimeSpan.FromSeconds(4)).WaitAsync(Patience);
        var call = await _codeDeploy.NextCallAsync(TimeSpan.FromSeconds(5));

        Assert.False(report.IsError, report.Json.ToString());
        Assert.False(report.Json.GetProperty("passed").GetBoolean());
        Assert.Contains("deadline was near", report.Json.GetProperty("reason").GetString(), StringComparison.Ordinal);
        Assert.Equal(new HookStatusCall("d-NEARDEADLINE", "hook-7", "Failed"), call);
        Assert.True(report.At < report.Deadline);
    }

    [SkippableFact]
    public async Task The_validator_passes_a_healthy_release_end_to_end_with_a_signed_verdict()
    {
        await using var service = await Services.HealthyAsync();
        await using var lambda = LambdaProcess.Start(bootstrap.Directory, _runtime.Endpoint, "validate", ValidatorEnvironment(service.Client.BaseAddress!));

        var report = await _runtime.InvokeAsync(Events.Hook("d-GOOD", "hook-1"), TimeSpan.FromSeconds(60)).WaitAsync(Patience);
        var call = await _codeDeploy.NextCallAsync(TimeSpan.FromSeconds(5));

        Assert.False(report.IsError, report.Json.ToString());
        Assert.True(report.Json.GetProperty("passed").GetBoolean(), report.Json.ToString());
        Assert.Equal(new HookStatusCall("d-GOOD", "hook-1", "Succeeded"), call);
        Assert.Contains(lambda.LogEntries(), l => l.GetProperty("Message").GetString()!.Contains("Deployment d-GOOD: Succeeded", StringComparison.Ordinal));
    }

    private Dictionary<string, string> ValidatorEnvironment(Uri target, int reserveMs = 3000) => new(_codeDeploy.Environment)
    {
        ["VALIDATOR_TARGET_URL"] = target.ToString(),
        ["VALIDATOR_EXPECTED_MODEL_NAME"] = Services.Demo.Name,
        ["VALIDATOR_EXPECTED_MODEL_VERSION"] = Services.Demo.Version,
        ["VALIDATOR_EXPECTED_MODEL_SHA256"] = Services.Demo.Sha256!,
        ["VALIDATOR_REQUESTS"] = "10",
        ["VALIDATOR_P95_BUDGET_MS"] = "5000",
        ["VALIDATOR_REQUEST_TIMEOUT_MS"] = "60000",
        ["VALIDATOR_REPORT_RESERVE_MS"] = reserveMs.ToString(System.Globalization.CultureInfo.InvariantCulture),
    };
}
