using System.Text.Json;
using Inference.Core.Contracts;
using Inference.Core.Serving;

namespace Inference.Api.Compat.OpenInference;

/// <summary>Writes the protocol's answers: JSON, or the JSON header followed by binary tensors, and errors as <c>{"error": ...}</c>.</summary>
public static class InferenceResults
{
    /// <summary>The answer for a request's results: JSON when no output is binary, the binary tensor extension otherwise.</summary>
    public static IResult Answer(string modelName, string? modelVersion, InferencePlan plan, IReadOnlyList<DetectionResult> results)
    {
        ArgumentNullException.ThrowIfNull(plan);
        var outputs = new List<ResponseOutput>(plan.Outputs.Count);
        var blobs = new List<byte[]>();
        foreach (var (name, binary) in plan.Outputs)
        {
            var (datatype, shape, values) = DetectionTensors.Build(name, results);
            if (binary)
            {
                var bytes = DetectionTensors.ToBytes(values);
                blobs.Add(bytes);
                outputs.Add(new ResponseOutput(name, datatype, shape, new Dictionary<string, object> { ["binary_data_size"] = bytes.Length }, null));
            }
            else
            {
                outputs.Add(new ResponseOutput(name, datatype, shape, null, values));
            }
        }

        var response = new InferenceResponse(modelName, modelVersion, plan.Id, outputs);
        return blobs.Count == 0 ? TypedResults.Json(response, DetectionJson.Options) : new BinaryTensorResult(response, blobs);
    }

    /// <summary>
    /// A problem in the protocol's error shape, with the same status (and Retry-After) the native routes would give;
    /// <c>code</c> carries the problem's code.
    /// </summary>
    public static IResult Error(Problem problem, HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(problem);
        ArgumentNullException.ThrowIfNull(context);
        if (problem.RetryAfterSeconds is { } retryAfter)
        {
            context.Response.Headers.RetryAfter = retryAfter;
        }

        return TypedResults.Json(new InferenceError(problem.Detail, problem.Code), DetectionJson.Options, statusCode: problem.Status);
    }

    /// <summary>The JSON header, then each binary output's bytes in output order; the header's length goes in a header of its own.</summary>
    private sealed class BinaryTensorResult(InferenceResponse response, IReadOnlyList<byte[]> blobs) : IResult
    {
        public async Task ExecuteAsync(HttpContext httpContext)
        {
            var header = JsonSerializer.SerializeToUtf8Bytes(response, DetectionJson.Options);
            var http = httpContext.Response;
            http.StatusCode = StatusCodes.Status200OK;
            http.ContentType = "application/octet-stream";
            http.Headers[InferenceRequestReader.HeaderLength] = header.Length.ToString(System.Globalization.CultureInfo.InvariantCulture);
            http.ContentLength = header.Length + blobs.Sum(b => (long)b.Length);
            await http.Body.WriteAsync(header, httpContext.RequestAborted).ConfigureAwait(false);
            foreach (var blob in blobs)
            {
                await http.Body.WriteAsync(blob, httpContext.RequestAborted).ConfigureAwait(false);
            }
        }
    }
}
