namespace Inference.Lambda.Validation;

/// <summary>One check against the new version: what it found and how long it took.</summary>
public sealed record CheckResult(string Check, bool Passed, string Detail, double Milliseconds);

/// <summary>The validator's verdict, logged as one structured line and returned as the invocation's result.</summary>
public sealed record ValidationReport(string DeploymentId, string HookExecutionId, string Target, bool Passed, string Reason, IReadOnlyList<CheckResult> Checks);
