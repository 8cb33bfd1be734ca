using System.Buffers.Binary;
using System.Globalization;
using System.Text.Json;
using Inference.Core.Contracts;
using Microsoft.Extensions.Primitives;

namespace Inference.Api.Compat.OpenInference;

/// <summary>What the response must hold: the request's id, and which outputs, each as JSON or binary.</summary>
public sealed record InferencePlan(string? Id, IReadOnlyList<(string Name, bool Binary)> Outputs);

/// <summary>
/// Reads an inference request: JSON, or Triton's binary tensor extension (<c>Inference-Header-Content-Length</c>: the
/// first bytes are the JSON, the rest the tensors' data in input order). The one input is BYTES of shape [N] or
/// [N, 1], each element an encoded image: in binary form a 4-byte little-endian length and the bytes (sliced from
/// the request buffer, no copy); in JSON form a base64 string. Request parameters are the native detect parameters.
/// </summary>
public static class InferenceRequestReader
{
    public const string HeaderLength = "Inference-Header-Content-Length";

    /// <exception cref="RequestProblemException">The request does not fit the protocol or this model's input.</exception>
    public static (DetectRequest Request, InferencePlan Plan) Read(ReadOnlyMemory<byte> body, string? headerLength, int maxImages)
    {
        var (json, binary) = Split(body, headerLength);
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json, new JsonDocumentOptions { MaxDepth = 16 });
        }
        catch (JsonException ex)
        {
            throw Invalid($"The inference request is not JSON: {ex.Message}");
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw Invalid("The inference request must be a JSON object with 'inputs'.");
            }

            var images = ReadInput(root, binary, maxImages);
            var parameters = new Dictionary<string, StringValues>(StringComparer.Ordinal);
            var binaryOutput = false;
            if (root.TryGetProperty("parameters", out var requested))
            {
                if (requested.ValueKind != JsonValueKind.Object)
                {
                    throw Invalid("'parameters' must be an object.");
                }

                foreach (var parameter in requested.EnumerateObject())
                {
                    if (parameter.Name == "binary_data_output")
                    {
                        binaryOutput = parameter.Value.ValueKind == JsonValueKind.True;
                    }
                    else
                    {
                        parameters[parameter.Name] = Text(parameter.Value);
                    }
                }
            }

            var id = root.TryGetProperty("id", out var idElement) && idElement.ValueKind == JsonValueKind.String ? idElement.GetString() : null;
            var plan = new InferencePlan(id, ReadOutputs(root, binaryOutput));
            var request = new DetectRequest(
                images,
                answerAsList: true,
                name => parameters.TryGetValue(name, out var value) ? value : StringValues.Empty,
                parameterNames: parameters.Keys);
            return (request, plan);
        }
    }

    private static (ReadOnlyMemory<byte> Json, ReadOnlyMemory<byte> Binary) Split(ReadOnlyMemory<byte> body, string? headerLength)
    {
        if (headerLength is null)
        {
            return (body, ReadOnlyMemory<byte>.Empty);
        }

        if (!int.TryParse(headerLength, NumberStyles.None, CultureInfo.InvariantCulture, out var length) || length > body.Length)
        {
            throw Invalid($"{HeaderLength} must be the JSON header's length in bytes, at most the body's {body.Length} (got '{headerLength}').");
        }

        return (body[..length], body[length..]);
    }

    private static List<ReadOnlyMemory<byte>> ReadInput(JsonElement root, ReadOnlyMemory<byte> binary, int maxImages)
    {
        if (!root.TryGetProperty("inputs", out var inputs) || inputs.ValueKind != JsonValueKind.Array || inputs.GetArrayLength() != 1)
        {
            throw Invalid($"'inputs' must hold exactly one input, '{DetectionTensors.Input}' (BYTES, shape [N] or [N, 1]: encoded images).");
        }

        var input = inputs[0];
        var name = StringMember(input, "name");
        var datatype = StringMember(input, "datatype");
        if (name != DetectionTensors.Input || datatype != "BYTES")
        {
            throw Invalid($"The input must be '{DetectionTensors.Input}' of datatype BYTES (got '{name}' of datatype '{datatype}').");
        }

        var count = Count(input, maxImages);
        long? binarySize = input.TryGetProperty("parameters", out var inputParameters) && inputParameters.ValueKind == JsonValueKind.Object
            && inputParameters.TryGetProperty("binary_data_size", out var size) && size.TryGetInt64(out var declared) ? declared : null;
        var images = binarySize is { } bytes ? ReadBinary(binary, bytes, count) : ReadJsonData(input, count);
        if (binarySize is null && binary.Length > 0 || binarySize is { } used && used != binary.Length)
        {
            throw Invalid($"The body carries {binary.Length} bytes after the JSON header, but the input declares {binarySize ?? 0} (parameters.binary_data_size).");
        }

        return images;
    }

    private static int Count(JsonElement input, int maxImages)
    {
        if (!input.TryGetProperty("shape", out var shape) || shape.ValueKind != JsonValueKind.Array)
        {
            throw Invalid("The input has no 'shape'.");
        }

        var dims = shape.EnumerateArray().Select(d => d.TryGetInt64(out var v) ? v : -1).ToArray();
        if (dims is not ([> 0] or [> 0, 1]))
        {
            throw Invalid($"The input's shape must be [N] or [N, 1] with N > 0 (got [{string.Join(", ", dims)}]).");
        }

        return dims[0] > maxImages
            ? throw new RequestProblemException(ProblemCatalog.TooManyImages((int)Math.Min(dims[0], int.MaxValue), maxImages))
            : (int)dims[0];
    }

    private static List<ReadOnlyMemory<byte>> ReadBinary(ReadOnlyMemory<byte> binary, long size, int count)
    {
        if (size < 0 || size > binary.Length)
        {
            throw Invalid($"parameters.binary_data_size is {size}, but only {binary.Length} bytes follow the JSON header.");
        }

        var images = new List<ReadOnlyMemory<byte>>(count);
        var data = binary[..(int)size];
        var offset = 0;
        while (offset < data.Length)
        {
            if (data.Length - offset < 4)
            {
                throw Invalid("The binary BYTES data ends inside an element's 4-byte length.");
            }

            var length = BinaryPrimitives.ReadUInt32LittleEndian(data.Span[offset..]);
            offset += 4;
            if (length > data.Length - offset)
            {
                throw Invalid($"A binary BYTES element declares {length} bytes, but only {data.Length - offset} remain.");
            }

            images.Add(data.Slice(offset, (int)length));
            offset += (int)length;
        }

        return images.Count == count ? images : throw Invalid($"The binary data holds {images.Count} elements, but the shape says {count}.");
    }

    private static List<ReadOnlyMemory<byte>> ReadJsonData(JsonElement input, int count)
    {
        if (!input.TryGetProperty("data", out var data) || data.ValueKind != JsonValueKind.Array)
        {
            throw Invalid("The input has no 'data' array (or parameters.binary_data_size for binary data).");
        }

        var images = new List<ReadOnlyMemory<byte>>(count);
        foreach (var element in Flatten(data))
        {
            if (element.ValueKind != JsonValueKind.String)
            {
                throw Invalid("Each BYTES element must be a string: the encoded image in base64.");
            }

            images.Add(element.TryGetBytesFromBase64(out var bytes) && bytes.Length > 0 ? bytes : Base64Image.Decode(element.GetString()!, $"{DetectionTensors.Input}[{images.Count}]"));
        }

        return images.Count == count ? images : throw Invalid($"'data' holds {images.Count} elements, but the shape says {count}.");
    }

    private static IEnumerable<JsonElement> Flatten(JsonElement array)
    {
        foreach (var element in array.EnumerateArray())
        {
            if (element.ValueKind == JsonValueKind.Array)
            {
                foreach (var inner in Flatten(element))
                {
                    yield return inner;
                }
            }
            else
            {
                yield return element;
            }
        }
    }

    private static List<(string, bool)> ReadOutputs(JsonElement root, bool binaryByDefault)
    {
        if (!root.TryGetProperty("outputs", out var outputs))
        {
            return [.. DetectionTensors.Outputs.Select(o => (o, binaryByDefault))];
        }

        if (outputs.ValueKind != JsonValueKind.Array)
        {
            throw Invalid("'outputs' must be a list of {\"name\": ...}.");
        }

        var requested = new List<(string, bool)>();
        foreach (var output in outputs.EnumerateArray())
        {
            var name = StringMember(output, "name");
            if (name is null || !DetectionTensors.Outputs.Contains(name))
            {
                throw Invalid($"There is no output '{name}'; the outputs are {string.Join(", ", DetectionTensors.Outputs)}.");
            }

            var binary = output.TryGetProperty("parameters", out var parameters) && parameters.ValueKind == JsonValueKind.Object
                && parameters.TryGetProperty("binary_data", out var flag) && flag.ValueKind is JsonValueKind.True or JsonValueKind.False
                ? flag.ValueKind == JsonValueKind.True
                : binaryByDefault;
            requested.Add((name, binary));
        }

        return requested;
    }

    private static string? StringMember(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static StringValues Text(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.String => value.GetString(),
        JsonValueKind.True => "true",
        JsonValueKind.False => "false",
        JsonValueKind.Array => string.Join(',', value.EnumerateArray().Select(v => v.ValueKind == JsonValueKind.String ? v.GetString() : v.GetRawText())),
        _ => value.GetRawText(),
    };

    private static RequestProblemException Invalid(string detail) => new(ProblemCatalog.MalformedBody(detail));
}
