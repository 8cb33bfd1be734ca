using Microsoft.OpenApi;

namespace Inference.Api.Detection;

/// <summary>
/// Documents the detect request body in OpenAPI. Declared by hand rather than with Accepts(): accept-metadata makes
/// routing refuse other content types with a bare 415 before the handler can explain which ones are accepted.
/// </summary>
internal static class DetectRequestDocumentation
{
    public static readonly string[] RawImageTypes = ["image/jpeg", "image/png", "image/webp", "image/bmp", "image/gif", "image/tiff", "application/octet-stream"];

    public static Task Describe(OpenApiOperation operation)
    {
        var binary = new OpenApiSchema { Type = JsonSchemaType.String, Format = "binary" };
        var content = new Dictionary<string, OpenApiMediaType>
        {
            ["multipart/form-data"] = new()
            {
                Schema = new OpenApiSchema
                {
                    Type = JsonSchemaType.Object,
                    Required = new HashSet<string> { DetectRequestReader.ImageField },
                    Properties = new Dictionary<string, IOpenApiSchema>
                    {
                        [DetectRequestReader.ImageField] = new OpenApiSchema { Type = JsonSchemaType.Array, Items = binary, Description = "One or more images; several are answered as a list." },
                        ["confidence"] = new OpenApiSchema { Type = JsonSchemaType.Number, Minimum = "0", Maximum = "1" },
                        ["iou"] = new OpenApiSchema { Type = JsonSchemaType.Number, Minimum = "0", Maximum = "1" },
                        ["classes"] = new OpenApiSchema { Type = JsonSchemaType.String, Description = "Class names or ids, comma separated." },
                        ["max_detections"] = new OpenApiSchema { Type = JsonSchemaType.Integer, Minimum = "1" },
                        ["agnostic"] = new OpenApiSchema { Type = JsonSchemaType.Boolean },
                        ["format"] = new OpenApiSchema { Type = JsonSchemaType.String, Description = "'json' (the default) or 'image': the image back with the boxes drawn (one image only)." },
                        ["labels"] = new OpenApiSchema { Type = JsonSchemaType.Boolean, Description = "With format=image: caption each box with its class and confidence (default true)." },
                        ["stroke"] = new OpenApiSchema { Type = JsonSchemaType.Integer, Minimum = "1", Maximum = "64", Description = "With format=image: box line width in pixels (default: scaled to the image)." },
                    },
                },
            },
        };
        foreach (var type in RawImageTypes)
        {
            content[type] = new OpenApiMediaType { Schema = binary };
        }

        operation.RequestBody = new OpenApiRequestBody { Required = true, Content = content };
        if (operation.Responses?.TryGetValue("200", out var ok) == true && ok.Content is { } answers)
        {
            // format=image (or Accept: image/jpeg|png) answers the picture instead of the JSON.
            foreach (var type in AnnotatedImageResponse.ImageTypes)
            {
                answers[type] = new OpenApiMediaType { Schema = binary };
            }
        }

        operation.Parameters ??= [];
        foreach (var (name, schema) in new (string, JsonSchemaType)[] { ("confidence", JsonSchemaType.Number), ("iou", JsonSchemaType.Number), ("classes", JsonSchemaType.String), ("max_detections", JsonSchemaType.Integer), ("agnostic", JsonSchemaType.Boolean), ("format", JsonSchemaType.String), ("labels", JsonSchemaType.Boolean), ("stroke", JsonSchemaType.Integer) })
        {
            operation.Parameters.Add(new OpenApiParameter { Name = name, In = ParameterLocation.Query, Required = false, Schema = new OpenApiSchema { Type = schema } });
        }

        return Task.CompletedTask;
    }
}
