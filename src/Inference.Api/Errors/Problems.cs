using System.Diagnostics;
using Inference.Core.Contracts;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace Inference.Api.Errors;

/// <summary>
/// Writes the shared problem catalogue as RFC 7807 problem+json: a stable <c>type</c> URN, the <c>code</c> clients
/// switch on, the request's <c>trace_id</c>, and <c>Retry-After</c> for 429.
/// </summary>
public static class Problems
{
    public static ProblemHttpResult ToResult(this Problem problem, HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(problem);
        ArgumentNullException.ThrowIfNull(context);
        if (problem.RetryAfterSeconds is { } retryAfter)
        {
            context.Response.Headers.RetryAfter = retryAfter;
        }

        return TypedResults.Problem(ToDetails(problem, TraceId(context)));
    }

    public static ProblemDetails ToDetails(Problem problem, string? traceId)
    {
        ArgumentNullException.ThrowIfNull(problem);
        return new ProblemDetails
        {
            Type = problem.Type,
            Title = problem.Title,
            Status = problem.Status,
            Detail = problem.Detail,
            Extensions = problem.Extensions(traceId),
        };
    }

    public static string TraceId(HttpContext context) => Activity.Current?.TraceId.ToHexString() ?? context.TraceIdentifier;

    /// <summary>
    /// Gives the answers the framework writes itself (a bare 404 or 405 from routing, the 500 of an unhandled
    /// exception, Kestrel's own 4xx where it lets the app write the body) the catalogue's code and detail too.
    /// </summary>
    public static void Complete(ProblemDetailsContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var details = context.ProblemDetails;
        var http = context.HttpContext;
        details.Extensions.Remove("traceId");
        details.Extensions["trace_id"] = TraceId(http);
        if (!details.Extensions.ContainsKey("code"))
        {
            var problem = ProblemCatalog.ForStatus(details.Status ?? http.Response.StatusCode, http.Request.Method, http.Request.Path);
            details.Type = problem.Type;
            details.Title = problem.Title;
            details.Detail = problem.Detail;
            foreach (var (key, value) in problem.Extensions(TraceId(http)))
            {
                details.Extensions[key] = value;
            }
        }
    }
}
