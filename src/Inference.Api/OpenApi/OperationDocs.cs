using System.Globalization;
using System.Text.Json.Nodes;
using Microsoft.OpenApi;

namespace Inference.Api.OpenApi;

/// <summary>Small builders for the parts of OpenAPI operations the routes describe by hand: parameters with bounds, bodies, one-or-list answers.</summary>
public static class OperationDocs
{
    public static OpenApiSchema Binary(string description) => new() { Type = JsonSchemaType.String, Format = "binary", Description = description };

    public static OpenApiSchema Number(string description, double? minimum = null, double? maximum = null) => new()
    {
        Type = JsonSchemaType.Number,
        Description = description,
        Minimum = minimum?.ToString(CultureInfo.InvariantCulture),
        Maximum = maximum?.ToString(CultureInfo.InvariantCulture),
    };

    public static OpenApiSchema WholeNumber(string description, int? minimum = null, int? maximum = null) => new()
    {
        Type = JsonSchemaType.Integer,
        Description = description,
        Minimum = minimum?.ToString(CultureInfo.InvariantCulture),
        Maximum = maximum?.ToString(CultureInfo.InvariantCulture),
    };

    public static OpenApiSchema Text(string description, params string[] values)
    {
        var schema = new OpenApiSchema { Type = JsonSchemaType.String, Description = description };
        if (values.Length > 0)
        {
            schema.Enum = [.. values.Select(v => (JsonNode)JsonValue.Create(v)!)];
        }

        return schema;
    }

    public static OpenApiSchema Boolean(string description) => new() { Type = JsonSchemaType.Boolean, Description = description };

    public static OpenApiSchema Strings(string description) => new() { Type = JsonSchemaType.Array, Items = new OpenApiSchema { Type = JsonSchemaType.String }, Description = description };

    public static OpenApiSchema Record(IReadOnlyDictionary<string, IOpenApiSchema> properties, params string[] required) => new()
    {
        Type = JsonSchemaType.Object,
        Properties = new Dictionary<string, IOpenApiSchema>(properties),
        Required = new HashSet<string>(required),
    };

    /// <summary>Adds query parameters, each with its schema's description and bounds.</summary>
    public static void Query(OpenApiOperation operation, IEnumerable<(string Name, OpenApiSchema Schema)> parameters)
    {
        ArgumentNullException.ThrowIfNull(operation);
        ArgumentNullException.ThrowIfNull(parameters);
        operation.Parameters ??= [];
        foreach (var (name, schema) in parameters)
        {
            operation.Parameters.Add(new OpenApiParameter { Name = name, In = ParameterLocation.Query, Required = false, Description = schema.Description, Schema = schema });
        }
    }

    /// <summary>
    /// One image is answered as an object and several as a list: the 200 answer becomes <c>oneOf</c> the two, so
    /// generated clients accept both (the framework would declare only one of the two typed results).
    /// </summary>
    public static void OneOrList(OpenApiOperation operation)
    {
        ArgumentNullException.ThrowIfNull(operation);
        if (operation.Responses?.TryGetValue("200", out var ok) != true || ok!.Content is null)
        {
            return;
        }

        foreach (var media in ok.Content.Values)
        {
            if (media.Schema is not { } schema)
            {
                continue;
            }

            var single = schema.Type == JsonSchemaType.Array && schema.Items is { } items ? items : schema;
            media.Schema = new OpenApiSchema
            {
                OneOf = [single, new OpenApiSchema { Type = JsonSchemaType.Array, Items = single, Description = "One answer per image, in request order, when the request carries a list." }],
            };
        }

        ok.Description = "One answer for one image; a list, in request order, for a list of images.";
    }
}
