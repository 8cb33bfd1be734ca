using System.Text.Json.Serialization;

namespace Inference.Core.Repository;

[JsonConverter(typeof(JsonStringEnumConverter<ModelState>))]
public enum ModelState
{
    [JsonStringEnumMemberName("loading")]
    Loading,

    [JsonStringEnumMemberName("warming_up")]
    WarmingUp,

    [JsonStringEnumMemberName("ready")]
    Ready,

    [JsonStringEnumMemberName("failed")]
    Failed,

    [JsonStringEnumMemberName("stopping")]
    Stopping,
}

/// <summary>A model's state and why, read together so an answer never pairs one state with another's reason.</summary>
public readonly record struct ModelStatus(ModelState State, string Reason);
