using Inference.Core.Model;

namespace Inference.Core.Postprocessing;

/// <summary>Per-request post-processing parameters.</summary>
public sealed record DetectionOptions
{
    public const int DefaultMaxCandidates = 30_000;
    public const int MaxDetectionsLimit = ParameterRanges.MaxDetectionsLimit;

    public static DetectionOptions Default { get; } = new();

    /// <summary>Minimum score a detection needs (0–1).</summary>
    public float Confidence { get; init; } = 0.25f;

    /// <summary>IoU above which the weaker of two overlapping boxes is suppressed.</summary>
    public float Iou { get; init; } = 0.45f;

    public int MaxDetections { get; init; } = 300;

    /// <summary>Suppress overlapping boxes whatever their class (YOLOX's own demo does this).</summary>
    public bool Agnostic { get; init; }

    /// <summary>Only these class ids are returned; all when null.</summary>
    public IReadOnlySet<int>? ClassIds { get; init; }

    /// <summary>Highest-scoring candidates kept before NMS, bounding its cost on a noisy image.</summary>
    public int MaxCandidates { get; init; } = DefaultMaxCandidates;

    public static DetectionOptions FromDefaults(PostprocessDefaults defaults)
    {
        ArgumentNullException.ThrowIfNull(defaults);
        return new()
        {
            Confidence = defaults.Confidence,
            Iou = defaults.Iou,
            Agnostic = defaults.Agnostic,
            MaxDetections = defaults.MaxDetections,
        };
    }

    /// <summary>Problems with these options, each naming the parameter, for a 400 response.</summary>
    public IReadOnlyList<string> Validate(int classCount)
    {
        var problems = new List<string>();
        if (!ParameterRanges.IsConfidence(Confidence))
        {
            problems.Add($"confidence must be {ParameterRanges.Confidence} (got {Confidence}).");
        }

        if (!ParameterRanges.IsIou(Iou))
        {
            problems.Add($"iou must be {ParameterRanges.Iou} (got {Iou}).");
        }

        if (!ParameterRanges.IsMaxDetections(MaxDetections))
        {
            problems.Add($"max_detections must be {ParameterRanges.MaxDetections} (got {MaxDetections}).");
        }

        if (MaxCandidates <= 0)
        {
            problems.Add($"max_candidates must be positive (got {MaxCandidates}).");
        }

        if (ClassIds is not null)
        {
            foreach (var id in ClassIds)
            {
                if (id < 0 || id >= classCount)
                {
                    problems.Add($"class id {id} does not exist; the model has classes 0–{classCount - 1}.");
                }
            }
        }

        return problems;
    }
}
