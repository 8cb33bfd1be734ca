using Inference.Api.OpenApi;
using Inference.Core.Rendering;
using Microsoft.OpenApi;

namespace Inference.Api.Compat.Roboflow;

/// <summary>The Roboflow routes' request bodies and parameters in OpenAPI (the handlers read the body themselves).</summary>
internal static class RoboflowDocumentation
{
    public static Task DescribeHosted(OpenApiOperation operation)
    {
        var base64 = OperationDocs.Text("The image, base64 encoded (a data: URL prefix is accepted).");
        var content = new Dictionary<string, OpenApiMediaType>
        {
            ["application/x-www-form-urlencoded"] = new() { Schema = base64 },
            ["text/plain"] = new() { Schema = base64 },
            ["multipart/form-data"] = new()
            {
                Schema = OperationDocs.Record(new Dictionary<string, IOpenApiSchema> { [RoboflowEndpoints.HostedImageField] = OperationDocs.Binary("The image.") }, RoboflowEndpoints.HostedImageField),
            },
        };
        foreach (var type in new[] { "image/jpeg", "image/png", "image/webp", "application/octet-stream" })
        {
            content[type] = new OpenApiMediaType { Schema = OperationDocs.Binary("The image's bytes.") };
        }

        operation.RequestBody = new OpenApiRequestBody { Required = false, Description = "The image, unless ?image=<url> names it.", Content = content };
        OperationDocs.Query(operation,
        [
            ("api_key", OperationDocs.Text("An API key, when the service requires one (Auth:ApiKeys).")),
            ("confidence", OperationDocs.Number("Minimum score: a percentage (40) or a fraction (0.4); 1 and above is a percentage. Default: the model's.", 0, 100)),
            ("overlap", OperationDocs.Number("IoU above which NMS suppresses the weaker box: a percentage or a fraction, as confidence. Default: the model's.", 0, 100)),
            ("classes", OperationDocs.Text("Class names or ids to keep, comma separated.")),
            ("max_detections", OperationDocs.WholeNumber("Most detections returned.", 1, 10_000)),
            ("format", OperationDocs.Text("json (the default); image: the image with its boxes drawn, as JPEG; image_and_json: the JSON with that image as base64 in visualization.", "json", "image", "image_and_json")),
            ("image", new OpenApiSchema { Type = JsonSchemaType.String, Format = "uri", Description = "The image's URL, fetched under the Inputs rules (off unless Inputs:AllowUrlFetch)." }),
            ("image_type", OperationDocs.Text("base64 only.", "base64")),
            ("labels", OperationDocs.Boolean("With format=image: caption each box with its class and confidence. Default: true.")),
            ("stroke", OperationDocs.WholeNumber("With format=image: box line width in pixels. Default: scaled to the image.", 1, AnnotationOptions.MaxStroke)),
        ]);
        if (operation.Responses?.TryGetValue("200", out var ok) == true && ok.Content is { } answers)
        {
            answers["image/jpeg"] = new OpenApiMediaType { Schema = OperationDocs.Binary("With format=image: the image with its boxes drawn.") };
        }

        return Task.CompletedTask;
    }

    public static Task DescribeServer(OpenApiOperation operation)
    {
        var reference = OperationDocs.Record(
            new Dictionary<string, IOpenApiSchema>
            {
                ["type"] = OperationDocs.Text("How value carries the image.", "base64", "url"),
                ["value"] = OperationDocs.Text("The base64 image, or its URL (fetched under the Inputs rules)."),
            },
            "type",
            "value");
        var body = OperationDocs.Record(
            new Dictionary<string, IOpenApiSchema>
            {
                ["model_id"] = OperationDocs.Text("'project/version': a model's name and version as GET /v1/models lists them, or an alias."),
                ["image"] = new OpenApiSchema { OneOf = [reference, new OpenApiSchema { Type = JsonSchemaType.Array, Items = reference, MaxItems = 256 }], Description = "One image, or a list (answered as a list)." },
                ["api_key"] = OperationDocs.Text("An API key, when the service requires one (Auth:ApiKeys)."),
                ["confidence"] = OperationDocs.Number("Minimum score (0-1). Default: the model's.", 0, 1),
                ["iou_threshold"] = OperationDocs.Number("IoU above which NMS suppresses the weaker box. Default: the model's.", 0, 1),
                ["class_filter"] = OperationDocs.Strings("Class names to keep."),
                ["class_agnostic_nms"] = OperationDocs.Boolean("Suppress overlapping boxes whatever their class."),
                ["max_detections"] = OperationDocs.WholeNumber("Most detections returned per image.", 1, 10_000),
                ["max_candidates"] = OperationDocs.WholeNumber("Highest-scoring candidates kept before NMS.", 1, 30_000),
                ["visualize_predictions"] = OperationDocs.Boolean("true adds visualization: the image with its boxes drawn, as base64 JPEG."),
                ["visualization_labels"] = OperationDocs.Boolean("With visualize_predictions: caption each box. Default: true."),
                ["visualization_stroke_width"] = OperationDocs.WholeNumber("With visualize_predictions: box line width in pixels. Default: scaled to the image.", 1, AnnotationOptions.MaxStroke),
            },
            "model_id",
            "image");
        operation.RequestBody = new OpenApiRequestBody { Required = true, Content = new Dictionary<string, OpenApiMediaType> { ["application/json"] = new() { Schema = body } } };
        OperationDocs.OneOrList(operation);
        return Task.CompletedTask;
    }
}
