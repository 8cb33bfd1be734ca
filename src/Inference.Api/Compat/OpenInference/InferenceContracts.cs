using System.Text.Json.Serialization;

namespace Inference.Api.Compat.OpenInference;

// The Open Inference Protocol's REST objects (KServe v2 / Triton), by the protocol's own snake_case names.

public sealed record ServerMetadata(string Name, string Version, IReadOnlyList<string> Extensions);

public sealed record ServerLive(bool Live);

public sealed record ServerReady(bool Ready);

public sealed record ModelReady(string Name, bool Ready);

/// <summary>A tensor's name, datatype and shape; variable dimensions are -1.</summary>
public sealed record MetadataTensor(string Name, string Datatype, IReadOnlyList<long> Shape);

public sealed record ModelMetadata(string Name, IReadOnlyList<string> Versions, string Platform, IReadOnlyList<MetadataTensor> Inputs, IReadOnlyList<MetadataTensor> Outputs);

/// <summary>One output tensor: <c>data</c> flat in row-major order, or absent with <c>parameters.binary_data_size</c> when sent as binary.</summary>
public sealed record ResponseOutput(
    string Name,
    string Datatype,
    IReadOnlyList<long> Shape,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyDictionary<string, object>? Parameters,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] object? Data);

public sealed record InferenceResponse(
    string ModelName,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? ModelVersion,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Id,
    IReadOnlyList<ResponseOutput> Outputs);

/// <summary>The protocol's error object; <c>code</c> is this service's problem code, for clients that switch on it.</summary>
public sealed record InferenceError(string Error, string Code);
