using System.Text.Json;
using Inference.Lambda.Aws;
using Inference.Lambda.Runtime;

namespace Inference.Lambda.Validation;

/// <summary>
/// The CodeDeploy lifecycle hook (ECS <c>AfterAllowTestTraffic</c>, Lambda <c>BeforeAllowTraffic</c>): probes the
/// new version, reports Succeeded or Failed to CodeDeploy, logs the structured verdict and returns it. Near the
/// Lambda deadline it stops probing, reports Failed while there is still time, and returns cleanly.
/// </summary>
public sealed partial class ValidatorHandler(ValidatorSettings settings, HttpClient target, CodeDeployClient codeDeploy, ILogger logger, SigV4Signer? targetSigner = null, TimeProvider? time = null) : IInvocationHandler
{
    private readonly TimeProvider _time = time ?? TimeProvider.System;

    public async Task<byte[]> HandleAsync(Invocation invocation, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(invocation);
        var hook = HookEvent.Parse(invocation.Payload);
        using var probing = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var budget = invocation.Remaining(_time) - settings.ReportReserve;
        probing.CancelAfter(budget > TimeSpan.Zero ? budget : TimeSpan.Zero);

        IReadOnlyList<CheckResult> checks;
        string reason;
        try
        {
            checks = await new ServiceProbe(target, settings, targetSigner, _time).RunAsync(probing.Token).ConfigureAwait(false);
            reason = checks.FirstOrDefault(c => !c.Passed) is { } failed ? $"{failed.Check}: {failed.Detail}" : "All checks passed.";
        }
        catch (OperationCanceledException) when (probing.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            checks = [];
            reason = $"The Lambda deadline was near ({settings.ReportReserve.TotalMilliseconds:0} ms left to report): stopped before the checks finished.";
        }

        var passed = ServiceProbe.Passed(checks);
        var report = new ValidationReport(hook.DeploymentId, hook.LifecycleEventHookExecutionId, settings.TargetUrl.ToString(), passed, reason, checks);
        var json = JsonSerializer.Serialize(report, Json);
        LogVerdict(logger, passed ? "Succeeded" : "Failed", hook.DeploymentId, reason, json);
        await codeDeploy.PutLifecycleEventHookExecutionStatusAsync(hook.DeploymentId, hook.LifecycleEventHookExecutionId, passed, cancellationToken).ConfigureAwait(false);
        return System.Text.Encoding.UTF8.GetBytes(json);
    }

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    [LoggerMessage(Level = LogLevel.Information, Message = "Deployment {DeploymentId}: {Verdict}. {Reason} Report: {Report}")]
    private static partial void LogVerdict(ILogger logger, string verdict, string deploymentId, string reason, string report);
}
