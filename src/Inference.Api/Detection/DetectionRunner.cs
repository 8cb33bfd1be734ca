using System.Diagnostics;
using Inference.Api.Observability;
using Inference.Core.Contracts;
using Inference.Core.Postprocessing;
using Inference.Core.Rendering;
using Inference.Core.Repository;
using Inference.Core.Serving;
using Microsoft.Extensions.Options;

namespace Inference.Api.Detection;

/// <summary>
/// The one request flow every HTTP front end runs (native, Roboflow, SageMaker, Open Inference Protocol): readiness,
/// the request deadline, admission to the model's queue before the body is read, reading, parameters, the detection
/// service, outcome metrics, and every failure turned into a problem from the catalogue (a deadline apart from a
/// client that left). A front end brings only how it reads its request, how its parameters map to
/// <see cref="DetectionOptions"/>, and how it writes answers (JSON, or an image drawn with <see cref="RenderAsync"/>)
/// and problems.
/// </summary>
public sealed class DetectionRunner(DetectionService detection, AnnotationRenderer renderer, InferenceMetrics metrics, IOptions<LimitsOptions> limits)
{
    public LimitsOptions Limits => limits.Value;

    /// <inheritdoc cref="RunAsync{T}(ModelEntry, HttpContext, Func{ServedModel, CancellationToken, Task{DetectRequest}}, Func{DetectRequest, ServedModel, DetectionOptions}, Func{Detected, CancellationToken, Task{T}}, Func{Problem, T})"/>
    public Task<T> RunAsync<T>(
        ModelEntry entry,
        HttpContext context,
        Func<ServedModel, CancellationToken, Task<DetectRequest>> read,
        Func<DetectRequest, ServedModel, DetectionOptions> options,
        Func<Detected, T> answer,
        Func<Problem, T> refuse)
    {
        ArgumentNullException.ThrowIfNull(answer);
        return RunAsync(entry, context, read, options, (detected, _) => Task.FromResult(answer(detected)), refuse);
    }

    /// <param name="read">Reads the request; throws <see cref="RequestProblemException"/> when it cannot.</param>
    /// <param name="options">Maps the request's parameters; throws <see cref="RequestProblemException"/> for bad ones.</param>
    /// <param name="answer">Writes the answer while the request (and its image buffers) is still held, within the deadline.</param>
    /// <param name="refuse">Writes a problem in the front end's error shape.</param>
    public async Task<T> RunAsync<T>(
        ModelEntry entry,
        HttpContext context,
        Func<ServedModel, CancellationToken, Task<DetectRequest>> read,
        Func<DetectRequest, ServedModel, DetectionOptions> options,
        Func<Detected, CancellationToken, Task<T>> answer,
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
            // Admitted before the body is read: a request the queue cannot take costs no upload buffering.
            using var admission = model.Scheduler.Admit(1);
            using var request = await read(model, linked.Token).ConfigureAwait(false);
            var detectionOptions = options(request, model);
            var results = await detection.DetectAsync(model, admission, request.Images, detectionOptions, linked.Token).ConfigureAwait(false);
            var answered = await answer(new Detected(model, request, results, Stopwatch.GetElapsedTime(started)), linked.Token).ConfigureAwait(false);
            metrics.Outcome(model.Id, "ok");
            return answered;
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

    /// <summary>
    /// The native parameters and the annotated-image ones (<see cref="AnnotationParameters"/>, with the client's
    /// <paramref name="acceptedTypes"/>), with every bad one named in one problem. <paramref name="annotation"/> is
    /// <see langword="null"/> when the answer is JSON.
    /// </summary>
    public static DetectionOptions NativeOptions(DetectRequest request, ServedModel model, IReadOnlyList<string> acceptedTypes, out AnnotationOptions? annotation)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(model);
        var valid = DetectionParameters.TryParse(request, model.DefaultOptions, model.ClassNames, [.. DetectionParameters.NativeExtras, .. AnnotationParameters.Names], out var options, out var errors);
        var annotationValid = AnnotationParameters.TryParse(request.Parameter, acceptedTypes, request.Images.Count, out annotation, out var annotationErrors);
        if (!valid || !annotationValid)
        {
            throw new RequestProblemException(ProblemCatalog.InvalidParameters(errors.Concat(annotationErrors).DistinctBy(e => e.Key).ToDictionary()));
        }

        return options;
    }

    /// <summary>Draws the detections of the request's first image onto it: the annotated-image answer of any front end.</summary>
    public async Task<AnnotatedImage> RenderAsync(Detected detected, AnnotationOptions annotation, CancellationToken cancellationToken, int index = 0)
    {
        ArgumentNullException.ThrowIfNull(detected);
        return await renderer.RenderAsync(detected.Request.Images[index], detected.Results[index], annotation, cancellationToken).ConfigureAwait(false);
    }
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
