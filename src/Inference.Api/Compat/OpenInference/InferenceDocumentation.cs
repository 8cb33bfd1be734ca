using Inference.Api.OpenApi;
using Microsoft.OpenApi;

namespace Inference.Api.Compat.OpenInference;

/// <summary>The inference request body in OpenAPI: the JSON form, and the binary tensor extension's form.</summary>
internal static class InferenceDocumentation
{
    public static Task DescribeInfer(OpenApiOperation operation)
    {
        var input = OperationDocs.Record(
            new Dictionary<string, IOpenApiSchema>
            {
                ["name"] = OperationDocs.Text("The input's name.", DetectionTensors.Input),
                ["datatype"] = OperationDocs.Text("BYTES: encoded images.", "BYTES"),
                ["shape"] = new OpenApiSchema { Type = JsonSchemaType.Array, Items = OperationDocs.WholeNumber("A dimension: [N] or [N, 1].", 1), MinItems = 1, MaxItems = 2 },
                ["data"] = OperationDocs.Strings("Each image base64 encoded (JSON form; absent in binary form)."),
                ["parameters"] = OperationDocs.Record(new Dictionary<string, IOpenApiSchema> { ["binary_data_size"] = OperationDocs.WholeNumber("Bytes of this input after the JSON header (binary form).", 0) }),
            },
            "name",
            "datatype",
            "shape");
        var output = OperationDocs.Record(
            new Dictionary<string, IOpenApiSchema>
            {
                ["name"] = OperationDocs.Text("An output to return.", [.. DetectionTensors.Outputs]),
                ["parameters"] = OperationDocs.Record(new Dictionary<string, IOpenApiSchema> { ["binary_data"] = OperationDocs.Boolean("Return this output as binary data.") }),
            },
            "name");
        var request = OperationDocs.Record(
            new Dictionary<string, IOpenApiSchema>
            {
                ["id"] = OperationDocs.Text("Returned in the response."),
                ["inputs"] = new OpenApiSchema { Type = JsonSchemaType.Array, Items = input, MinItems = 1, MaxItems = 1 },
                ["outputs"] = new OpenApiSchema { Type = JsonSchemaType.Array, Items = output, Description = "The outputs to return; all four when absent." },
                ["parameters"] = OperationDocs.Record(new Dictionary<string, IOpenApiSchema>
                {
                    ["confidence"] = OperationDocs.Number("Minimum score (0-1). Default: the model's.", 0, 1),
                    ["iou"] = OperationDocs.Number("IoU above which NMS suppresses the weaker box (0-1). Default: the model's.", 0, 1),
                    ["classes"] = OperationDocs.Text("Class names or ids to keep, comma separated."),
                    ["max_detections"] = OperationDocs.WholeNumber("Most detections per image.", 1, 10_000),
                    ["agnostic"] = OperationDocs.Boolean("Suppress overlapping boxes whatever their class."),
                    ["binary_data_output"] = OperationDocs.Boolean("Return every output as binary data."),
                }),
            },
            "inputs");
        operation.RequestBody = new OpenApiRequestBody
        {
            Required = true,
            Content = new Dictionary<string, OpenApiMediaType>
            {
                ["application/json"] = new() { Schema = request },
                ["application/octet-stream"] = new() { Schema = OperationDocs.Binary("The binary tensor extension: the JSON request (its length in Inference-Header-Content-Length), then the input's elements, each a 4-byte little-endian length and an encoded image.") },
            },
        };
        operation.Parameters ??= [];
        operation.Parameters.Add(new OpenApiParameter
        {
            Name = InferenceRequestReader.HeaderLength,
            In = ParameterLocation.Header,
            Required = false,
            Description = "The JSON header's length in bytes, when binary tensor data follows it.",
            Schema = OperationDocs.WholeNumber("Bytes.", 0),
        });
        return Task.CompletedTask;
    }
}
