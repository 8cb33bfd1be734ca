using System.Text.Json;

namespace Inference.Lambda.Validation;

/// <summary>What CodeDeploy sends a lifecycle hook function: the deployment and this hook execution.</summary>
public sealed record HookEvent(string DeploymentId, string LifecycleEventHookExecutionId)
{
    /// <exception cref="InvalidDataException">Not a CodeDeploy hook event: reported as an invocation error.</exception>
    public static HookEvent Parse(ReadOnlyMemory<byte> payload)
    {
        try
        {
            using var document = JsonDocument.Parse(payload);
            var root = document.RootElement;
            if (root.ValueKind == JsonValueKind.Object
                && root.TryGetProperty(nameof(DeploymentId), out var deployment) && deployment.GetString() is { Length: > 0 } deploymentId
                && root.TryGetProperty(nameof(LifecycleEventHookExecutionId), out var execution) && execution.GetString() is { Length: > 0 } executionId)
            {
                return new HookEvent(deploymentId, executionId);
            }
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException)
        {
            throw new InvalidDataException($"The event is not JSON: {ex.Message}", ex);
        }

        throw new InvalidDataException("The event is not a CodeDeploy lifecycle hook: DeploymentId and LifecycleEventHookExecutionId are required.");
    }
}
