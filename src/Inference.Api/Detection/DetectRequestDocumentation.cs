using Inference.Api.OpenApi;
using Microsoft.OpenApi;

namespace Inference.Api.Detection;

/// <summary>
/// Documents the detect request body in OpenAPI. Declared by hand rather than with Accepts(): accept-metadata makes
/// routing refuse other content types with a bare 415 before the handler can explain which ones are accepted.
/// </summary>
internal static class DetectRequestDocumentation
{
    public static readonly string[] RawImageTypes = ["image/jpeg", "image/png", "image/webp", "image/bmp", "image/gif", "image/tiff", "application/octet-stream"];

    /// <summary>The detect parameters, each with its description and bounds, as query parameters, form fields and JSON members.</summary>
    public static IReadOnlyList<(string Name, OpenApiSchema Schema)> Parameters() =>
    [
        ("confidence", OperationDocs.Number("Minimum score a detection needs. Default: the model's (manifest postprocess.confidence).", 0, 1)),
        ("iou", OperationDocs.Number("IoU above which NMS suppresses the weaker of two boxes; greater than 0. Default: the model's.", 0, 1)),
        ("classes", OperationDocs.Text("Class names or ids to keep, comma separated (a JSON body may give a list).")),
        ("max_detections", OperationDocs.WholeNumber("Most detections returned per image. Default: the model's (300).", 1, 10_000)),
        ("agnostic", OperationDocs.Boolean("Suppress overlapping boxes whatever their class. Default: the model's.")),
        ("api_key", OperationDocs.Text("An API key, when the service requires one (Auth:ApiKeys); a header is better.")),
    ];

    /// <summary>The annotated-image parameters (<see cref="AnnotatedImageResponse"/>), on the routes that can answer a picture.</summary>
    public static IReadOnlyList<(string Name, OpenApiSchema Schema)> AnnotationParameters() =>
    [
        ("format", OperationDocs.Text("'json' (the default, unless Accept prefers image/jpeg or image/png) or 'image': the image back with the boxes drawn (one image only).", "json", "image")),
        ("labels", OperationDocs.Boolean("With format=image: caption each box with its class and confidence. Default: true.")),
        ("stroke", OperationDocs.WholeNumber("With format=image: box line width in pixels. Default: scaled to the image.", 1, Core.Rendering.AnnotationOptions.MaxStroke)),
    ];

    public static Task Describe(OpenApiOperation operation)
    {
        var binary = OperationDocs.Binary("An encoded image: JPEG, PNG, WebP, BMP, GIF or TIFF; the bytes decide the format.");
        var form = new Dictionary<string, IOpenApiSchema>
        {
            [DetectRequestReader.ImageField] = new OpenApiSchema { Type = JsonSchemaType.Array, Items = binary, MinItems = 1, MaxItems = 256, Description = "One or more images; several are answered as a list." },
        };
        var json = new Dictionary<string, IOpenApiSchema>
        {
            ["image"] = new OpenApiSchema
            {
                OneOf =
                [
                    OperationDocs.Text("The image, base64 encoded (a data: URL is accepted)."),
                    OperationDocs.Record(
                        new Dictionary<string, IOpenApiSchema>
                        {
                            ["type"] = OperationDocs.Text("How value carries the image.", "base64", "url"),
                            ["value"] = OperationDocs.Text("The base64 image, or its URL (fetched under the Inputs rules; off unless Inputs:AllowUrlFetch)."),
                        },
                        "type",
                        "value"),
                ],
                Description = "One image.",
            },
            ["images"] = new OpenApiSchema { Type = JsonSchemaType.Array, Items = OperationDocs.Text("An image, base64 encoded, or an {type, value} object as for image."), MaxItems = 256, Description = "Several images, answered as a list." },
        };
        foreach (var (name, schema) in Parameters().Concat(AnnotationParameters()))
        {
            form[name] = schema;
            json[name] = schema;
        }

        var content = new Dictionary<string, OpenApiMediaType>
        {
            ["multipart/form-data"] = new() { Schema = OperationDocs.Record(form, DetectRequestReader.ImageField) },
            ["application/json"] = new() { Schema = OperationDocs.Record(json) },
        };
        foreach (var type in RawImageTypes)
        {
            content[type] = new OpenApiMediaType { Schema = binary };
        }

        operation.RequestBody = new OpenApiRequestBody { Required = true, Description = "The image or images, and optionally the parameters.", Content = content };
        OperationDocs.Query(operation, Parameters().Concat(AnnotationParameters()));
        OperationDocs.OneOrList(operation);
        if (operation.Responses?.TryGetValue("200", out var ok) == true && ok.Content is { } answers)
        {
            // format=image (or Accept: image/jpeg or image/png) answers the picture instead of the JSON.
            foreach (var type in AnnotatedImageResponse.ImageTypes)
            {
                answers[type] = new OpenApiMediaType { Schema = OperationDocs.Binary("The image with the boxes drawn; X-Detections says how many.") };
            }
        }

        return Task.CompletedTask;
    }
}
