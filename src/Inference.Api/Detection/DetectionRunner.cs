using System.Diagnostics;
using Inference.Api.Observability;
using Inference.Core.Contracts;
using Inference.Core.Postprocessing;
using Inference.Core.Repository;
using Inference.Core.Serving;
using Microsoft.Extensions.Options;

namespace Inference.Api.Detection;

/// <summary>
/// The one request flow every HTTP front end runs (native, Roboflow, SageMaker, Open Inference Protocol): readiness,
/// the request deadline, reading, parameters, the detection service, outcome metrics, and every failure turned into
/// a problem from the catalogue (a deadline apart from a client that left). A front end brings only how it reads its
/// request, how its parameters map to <see cref="DetectionOptions"/>, and how it writes answers and problems.
/// </summary>
public sealed class DetectionRunner(DetectionService detection, InferenceMetrics metrics, IOptions<LimitsOptions> limits)
{
    public LimitsOptions Limits => limits.Value;

    /// <param name="read">Reads the request; throws <see cref="RequestProblemException"/> when it cannot.</param>
    /// <param name="options">Maps the request's parameters; throws <see cref="RequestProblemException"/> for bad ones.</param>
    /// <param name="answer">Writes the answer while the request (and its image buffers) is still held.</param>
    /// <param name="refuse">Writes a problem in the front end's error shape.</param>
    public async Task<T> RunAsync<T>(
        ModelEntry entry,
        HttpContext context,
        Func<ServedModel, CancellationToken, Task<DetectRequest>> read,
        Func<DetectRequest, ServedModel, DetectionOptions> options,
        Func<Detected, T> answer,
        Func<Problem, T> refuse)
    {
        ArgumentNullException.ThrowIfNull(entry);
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(read);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(answer);
        ArgumentNullException.ThrowIfNull(refuse);
        using var pending = metrics.TrackPending();
        var started = Stopwatch.GetTimestamp();

        // While draining after SIGTERM the model is still here and requests are still answered.
        if (entry.Model is not { } model)
        {
            return Refuse(entry.Id, ProblemCatalog.NotReady(entry), refuse);
        }

        var timeoutMs = limits.Value.RequestTimeoutMs;
        using var deadline = new CancellationTokenSource(timeoutMs);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, deadline.Token);
        try
        {
            using var request = await read(model, linked.Token).ConfigureAwait(false);
            var detectionOptions = options(request, model);
            var results = await detection.DetectAsync(model, request.Images, detectionOptions, linked.Token).ConfigureAwait(false);
            metrics.Outcome(model.Id, "ok");
            return answer(new Detected(model, request, results, Stopwatch.GetElapsedTime(started)));
        }
        catch (RequestProblemException ex)
        {
            return Refuse(model.Id, ex.Problem, refuse);
        }
        catch (Exception ex) when (ProblemCatalog.FromException(ex) is { } problem)
        {
            return Refuse(model.Id, problem, refuse);
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested && !context.RequestAborted.IsCancellationRequested)
        {
            return Refuse(model.Id, ProblemCatalog.DeadlineExceeded(timeoutMs), refuse);
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            // The client is gone and its work was dropped; 499 is only for logs and metrics.
            return Refuse(model.Id, ProblemCatalog.ClientClosedRequest(), refuse);
        }
        catch (Exception)
        {
            // The exception handler answers 500 and logs it; the outcome still counts.
            metrics.Outcome(model.Id, "error");
            throw;
        }
    }

    /// <summary>Counts a refusal against <paramref name="modelId"/> (<c>unknown</c> when no model was found) and writes it.</summary>
    public T Refuse<T>(string modelId, Problem problem, Func<Problem, T> refuse)
    {
        ArgumentNullException.ThrowIfNull(refuse);
        metrics.Refused(modelId, problem);
        return refuse(problem);
    }

    /// <summary>The native parameters (<see cref="DetectionParameters"/>), refusing names other than those and <paramref name="extras"/>.</summary>
    public static Func<DetectRequest, ServedModel, DetectionOptions> NativeOptions(IReadOnlyCollection<string> extras) =>
        (request, model) => DetectionParameters.TryParse(request, model.DefaultOptions, model.ClassNames, extras, out var options, out var errors)
            ? options
            : throw new RequestProblemException(ProblemCatalog.InvalidParameters(errors));
}

/// <summary>A request the detection service answered: its model, the request itself, one result per image, and the time so far.</summary>
public sealed record Detected(ServedModel Model, DetectRequest Request, IReadOnlyList<DetectionResult> Results, TimeSpan Elapsed)
{
    /// <summary>The native answers (<c>/v1/detect</c>'s shape), one per image.</summary>
    public DetectionResponse[] NativeResponses()
    {
        var totalMs = Elapsed.TotalMilliseconds;
        return [.. Results.Select(r => DetectionResponse.From(Model.Summary, r, totalMs))];
    }
}
