using Inference.Core.Imaging;

namespace Inference.Core.Postprocessing;

/// <summary>
/// One image's raw output → final detections in original pixels: decode, sort once, cap, NMS, un-letterbox.
/// Stateless apart from the decoder, so one instance serves every thread.
/// </summary>
public sealed class DetectionPostprocessor
{
    private const int StackClassMaskLimit = 1024;

    public DetectionPostprocessor(IOutputDecoder decoder, IReadOnlyList<string> classNames)
    {
        ArgumentNullException.ThrowIfNull(decoder);
        ArgumentNullException.ThrowIfNull(classNames);
        if (classNames.Count != decoder.ClassCount)
        {
            throw new ArgumentException($"{classNames.Count} class names were given for a decoder of {decoder.ClassCount} classes.", nameof(classNames));
        }

        Decoder = decoder;
        ClassNames = classNames;
    }

    public IOutputDecoder Decoder { get; }

    public IReadOnlyList<string> ClassNames { get; }

    public IReadOnlyList<Detection> Process(ReadOnlySpan<float> output, in LetterboxTransform transform, DetectionOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var classCount = Decoder.ClassCount;
        Span<bool> allowed = options.ClassIds is null
            ? []
            : classCount <= StackClassMaskLimit ? stackalloc bool[classCount] : new bool[classCount];
        if (options.ClassIds is { } ids)
        {
            foreach (var id in ids)
            {
                if ((uint)id < (uint)classCount)
                {
                    allowed[id] = true;
                }
            }
        }

        using var candidates = new CandidateBuffer();
        Decoder.Decode(output, options.Confidence, allowed, candidates);
        var span = candidates.AsSpan();
        var count = NonMaxSuppression.SortByScore(span, options.MaxCandidates);
        count = Decoder.NeedsNms
            ? NonMaxSuppression.Apply(span[..count], options.Iou, options.Agnostic, options.MaxDetections)
            : Math.Min(count, options.MaxDetections);

        var detections = new List<Detection>(count);
        foreach (ref readonly var candidate in span[..count])
        {
            var box = transform.ToOriginal(candidate.Box);

            // A box wholly inside the letterbox padding clips to nothing: it describes no part of the image.
            if (box.Width > 0 && box.Height > 0)
            {
                detections.Add(new Detection(candidate.ClassId, ClassNames[candidate.ClassId], candidate.Score, box));
            }
        }

        return detections;
    }
}
