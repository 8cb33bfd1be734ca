using Inference.Api.Auth;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace Inference.Api.OpenApi;

/// <summary>
/// What the generated OpenAPI document needs so generated clients work: the problem schema with its extensions,
/// <c>Retry-After</c> on every 429, security as configured (API keys, with the probes and /metrics open), 401 where a
/// key can be refused, tag descriptions, and a relative server URL.
/// </summary>
public static class OpenApiConventions
{
    public const string BearerScheme = "bearer";
    public const string HeaderScheme = "api_key_header";
    public const string QueryScheme = "api_key_query";

    private static readonly Dictionary<string, string> TagDescriptions = new(StringComparer.Ordinal)
    {
        ["Detection"] = "Objects in images, with the default model or one by id: the native API.",
        ["Models"] = "The model repository: every configured model, its state, manifest facts and batching.",
        ["Health"] = "Liveness, readiness and golden checks for orchestrators and deployment hooks; never behind an API key.",
        ["Observability"] = "Prometheus metrics; never behind an API key.",
        ["Roboflow"] = "Roboflow's hosted API and inference server shapes, for existing Roboflow clients and scripts.",
        ["SageMaker"] = "Amazon SageMaker's container contract: /ping, /invocations and /execution-parameters.",
        ["Open Inference Protocol"] = "The Open Inference Protocol v2 (KServe, Triton) over HTTP, with Triton's binary tensor extension.",
    };

    public static void Apply(OpenApiOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.AddSchemaTransformer((schema, context, _) =>
        {
            if (typeof(ProblemDetails).IsAssignableFrom(context.JsonTypeInfo.Type))
            {
                DescribeProblem(schema);
            }

            // Value types (a box) always write every member: clients must not see them as optional.
            if (context.JsonTypeInfo.Type.IsValueType && schema.Properties is { Count: > 0 } properties)
            {
                schema.Required = new HashSet<string>(properties.Keys);
            }

            return Task.CompletedTask;
        });
        options.AddOperationTransformer((operation, context, _) =>
        {
            var path = "/" + context.Description.RelativePath;
            var keys = context.ApplicationServices.GetRequiredService<ApiKeys>();
            Secure(operation, context.Document, path, keys.Enabled);
            DescribePathParameters(operation, path);
            DeclareRetryAfter(operation);
            return Task.CompletedTask;
        });
        options.AddDocumentTransformer((document, context, _) =>
        {
            document.Info.Title = "Inference service";
            document.Info.Description = "Object detection over ONNX models: a native API, and the Roboflow, SageMaker and Open Inference Protocol v2 shapes over the same pipeline. " +
                "Errors are RFC 7807 problem+json with a stable code (the Open Inference Protocol routes answer its {\"error\": ...} shape).";

            // Relative: the document serves whichever host and port the client reached.
            document.Servers = [new OpenApiServer { Url = "/", Description = "This service." }];
            foreach (var tag in document.Tags ?? Enumerable.Empty<OpenApiTag>())
            {
                if (tag.Name is { } name && TagDescriptions.TryGetValue(name, out var description))
                {
                    tag.Description = description;
                }
            }

            document.Components ??= new OpenApiComponents();
            document.Components.SecuritySchemes = new Dictionary<string, IOpenApiSecurityScheme>
            {
                [BearerScheme] = new OpenApiSecurityScheme { Type = SecuritySchemeType.Http, Scheme = "bearer", Description = "Authorization: Bearer <key>, when Auth:ApiKeys is set." },
                [HeaderScheme] = new OpenApiSecurityScheme { Type = SecuritySchemeType.ApiKey, In = ParameterLocation.Header, Name = ApiKeys.HeaderName, Description = "X-Api-Key: <key>, when Auth:ApiKeys is set." },
                [QueryScheme] = new OpenApiSecurityScheme { Type = SecuritySchemeType.ApiKey, In = ParameterLocation.Query, Name = ApiKeys.QueryName, Description = "?api_key=<key> (Roboflow's way), when Auth:ApiKeys is set." },
            };
            return Task.CompletedTask;
        });
    }

    /// <summary>
    /// Probes and /metrics are open; every other operation takes any of the three key forms when keys are on, and
    /// also none (an empty requirement) when they are off, so the document tells the truth about this deployment.
    /// </summary>
    private static void Secure(OpenApiOperation operation, OpenApiDocument? document, string path, bool keysEnabled)
    {
        if (ApiKeyMiddleware.IsExempt(new PathString(path)))
        {
            operation.Security = [];
            return;
        }

        operation.Security =
        [
            new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(BearerScheme, document)] = [] },
            new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(HeaderScheme, document)] = [] },
            new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(QueryScheme, document)] = [] },
        ];
        if (!keysEnabled)
        {
            operation.Security.Add(new OpenApiSecurityRequirement());
            return;
        }

        operation.Responses ??= [];
        if (!operation.Responses.ContainsKey("401"))
        {
            var problem = path.StartsWith("/v2", StringComparison.Ordinal) ? ProtocolError() : ProblemReference(document);
            operation.Responses["401"] = new OpenApiResponse
            {
                Description = "No API key, or one this service does not accept.",
                Content = new Dictionary<string, OpenApiMediaType> { [problem.MediaType] = new() { Schema = problem.Schema } },
            };
        }
    }

    private static (string MediaType, IOpenApiSchema Schema) ProblemReference(OpenApiDocument? document) =>
        document?.Components?.Schemas?.ContainsKey(nameof(ProblemDetails)) == true
            ? ("application/problem+json", new OpenApiSchemaReference(nameof(ProblemDetails), document))
            : ("application/problem+json", new OpenApiSchema { Type = JsonSchemaType.Object });

    private static (string MediaType, IOpenApiSchema Schema) ProtocolError() =>
        ("application/json", OperationDocs.Record(
            new Dictionary<string, IOpenApiSchema> { ["error"] = OperationDocs.Text("What went wrong."), ["code"] = OperationDocs.Text("The problem code, as the native routes give it.") },
            "error"));

    // Route values every path parameter of this service stands for; a handler may read one from the route values
    // rather than bind it, so each template parameter is declared here whether or not the framework saw it.
    private static readonly Dictionary<string, string> PathParameters = new(StringComparer.Ordinal)
    {
        ["id"] = "A model id, as GET /v1/models lists them.",
        ["name"] = "The model: its id, its manifest name, or an alias from Compat:Aliases.",
        ["version"] = "The model's version: its manifest version.",
        ["project"] = "A Roboflow project: a model's manifest name or id, or the first part of an alias from Compat:Aliases.",
    };

    private static void DescribePathParameters(OpenApiOperation operation, string path)
    {
        operation.Parameters ??= [];
        foreach (var name in path.Split('/').Where(s => s.StartsWith('{') && s.EndsWith('}')).Select(s => s[1..^1].Split(':')[0].TrimEnd('?')))
        {
            var description = PathParameters.GetValueOrDefault(name, $"The {name}.");
            if (operation.Parameters.FirstOrDefault(p => p.Name == name && p.In == ParameterLocation.Path) is OpenApiParameter declared)
            {
                declared.Description ??= description;
            }
            else
            {
                operation.Parameters.Add(new OpenApiParameter { Name = name, In = ParameterLocation.Path, Required = true, Description = description, Schema = new OpenApiSchema { Type = JsonSchemaType.String } });
            }
        }
    }

    private static void DeclareRetryAfter(OpenApiOperation operation)
    {
        if (operation.Responses?.TryGetValue("429", out var tooMany) == true && tooMany is OpenApiResponse response)
        {
            response.Headers ??= new Dictionary<string, IOpenApiHeader>();
            response.Headers["Retry-After"] = new OpenApiHeader
            {
                Description = "Seconds until the queue is expected to have room.",
                Schema = OperationDocs.WholeNumber("Seconds.", 1),
            };
        }
    }

    /// <summary>The problem document every error is: RFC 7807's members, typed as sent, and this service's extensions.</summary>
    private static void DescribeProblem(OpenApiSchema schema)
    {
        schema.Description = "An RFC 7807 problem. Switch on code; type is urn:inference:problem:<code>.";
        schema.Properties = new Dictionary<string, IOpenApiSchema>
        {
            ["type"] = new OpenApiSchema { Type = JsonSchemaType.String, Format = "uri", Description = "urn:inference:problem:<code>." },
            ["title"] = OperationDocs.Text("A short summary of the problem kind."),
            ["status"] = OperationDocs.WholeNumber("The HTTP status.", 400, 599),
            ["detail"] = OperationDocs.Text("One sentence naming the parameter, image or reason."),
            ["instance"] = OperationDocs.Text("The request path, when given."),
            ["code"] = OperationDocs.Text("The stable problem code clients switch on (e.g. invalid-parameters, queue-full)."),
            ["trace_id"] = OperationDocs.Text("The request's trace id, as logged."),
            ["errors"] = new OpenApiSchema
            {
                Type = JsonSchemaType.Object,
                Description = "For invalid-parameters: each parameter's messages.",
                AdditionalProperties = OperationDocs.Strings("Messages for this parameter."),
            },
            ["image_index"] = OperationDocs.WholeNumber("For image problems in a request of several: the image's position, from 0.", 0),
            ["state"] = OperationDocs.Text("For not-ready: the model's state.", "loading", "warming_up", "ready", "failed", "stopping"),
        };
        schema.Required = new HashSet<string>(["type", "title", "status", "detail", "code"]);
        schema.Type = JsonSchemaType.Object;
        schema.AdditionalProperties = null;
        schema.Extensions?.Remove("x-nullable");
    }
}
