using Inference.Core.Model;

namespace Inference.Core.Postprocessing;

/// <summary>Turns one image's slice of a raw model output into candidates in model-input pixels.</summary>
public interface IOutputDecoder
{
    OutputFormat Format { get; }

    int ClassCount { get; }

    /// <summary>Floats per image in the output tensor.</summary>
    int OutputLength { get; }

    /// <summary>False for NMS-fused exports, whose output is already final.</summary>
    bool NeedsNms { get; }

    /// <summary>
    /// Appends every candidate scoring at least <paramref name="confidence"/> whose best class is allowed
    /// (<paramref name="allowedClasses"/> empty means all). Like Ultralytics, a box takes its best class first and is
    /// filtered after, so a class filter never promotes a weaker class.
    /// </summary>
    void Decode(ReadOnlySpan<float> output, float confidence, ReadOnlySpan<bool> allowedClasses, CandidateBuffer candidates);
}

internal static class ClassMask
{
    public static bool Allows(ReadOnlySpan<bool> allowedClasses, int classId) =>
        allowedClasses.IsEmpty || allowedClasses[classId];
}
