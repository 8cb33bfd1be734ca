using System.Globalization;
using Inference.Core.Postprocessing;
using Microsoft.Extensions.Primitives;

namespace Inference.Core.Contracts;

/// <summary>
/// Reads <c>confidence</c>, <c>iou</c>, <c>classes</c>, <c>max_detections</c> and <c>agnostic</c> from the query
/// string or form fields (a form field wins). A parameter the route does not know is an error that names it, so a
/// misspelt <c>confidance</c> or Roboflow's <c>overlap</c> is never ignored without a word.
/// </summary>
public static class DetectionParameters
{
    /// <summary>The parameters every detect route reads.</summary>
    public static readonly IReadOnlyList<string> Names = ["confidence", "iou", "classes", "max_detections", "agnostic"];

    /// <summary>The native routes' parameters besides <see cref="Names"/>: the API key some clients send along.</summary>
    public static readonly IReadOnlyList<string> NativeExtras = ["api_key"];

    // What clients of other products send to the native routes, and where that belongs here.
    private static readonly Dictionary<string, string> Hints = new(StringComparer.Ordinal)
    {
        ["overlap"] = "'overlap' is Roboflow's name: use iou (0-1) here, or Roboflow's routes (POST /{project}/{version}) which take it.",
        ["iou_threshold"] = "use iou here; iou_threshold is the name on POST /infer/object_detection.",
        ["class_filter"] = "use classes here; class_filter is the name on POST /infer/object_detection.",
        ["class_agnostic_nms"] = "use agnostic here; class_agnostic_nms is the name on POST /infer/object_detection.",
    };

    /// <summary>
    /// Reads the parameters of <paramref name="request"/>, refusing any name that is neither one of <see cref="Names"/>
    /// nor one of <paramref name="extras"/>.
    /// </summary>
    public static bool TryParse(
        DetectRequest request,
        DetectionOptions defaults,
        IReadOnlyList<string> classNames,
        IReadOnlyCollection<string> extras,
        out DetectionOptions options,
        out Dictionary<string, string[]> errors)
    {
        ArgumentNullException.ThrowIfNull(request);
        var valid = TryParse(request.Parameter, defaults, classNames, out options, out errors);
        RejectUnknown(request.ParameterNames, [.. Names, .. extras], errors);
        return valid && errors.Count == 0;
    }

    /// <summary>Adds an error for each name not in <paramref name="known"/>, with the nearest known name when one is close.</summary>
    public static void RejectUnknown(IEnumerable<string> names, IReadOnlyCollection<string> known, Dictionary<string, string[]> errors)
    {
        ArgumentNullException.ThrowIfNull(names);
        ArgumentNullException.ThrowIfNull(known);
        ArgumentNullException.ThrowIfNull(errors);
        foreach (var name in names)
        {
            if (known.Contains(name))
            {
                continue;
            }

            var nearest = known.Select(k => (Name: k, Distance: EditDistance(name, k))).MinBy(k => k.Distance);
            var hint = Hints.TryGetValue(name, out var h) ? h
                : nearest.Name is not null && nearest.Distance <= 2 ? $"did you mean '{nearest.Name}'?"
                : $"this route takes {string.Join(", ", known)}.";
            errors[name] = [$"Unknown parameter '{name}': {hint}"];
        }
    }

    private static int EditDistance(string a, string b)
    {
        var previous = new int[b.Length + 1];
        var current = new int[b.Length + 1];
        for (var j = 0; j <= b.Length; j++)
        {
            previous[j] = j;
        }

        for (var i = 1; i <= a.Length; i++)
        {
            current[0] = i;
            for (var j = 1; j <= b.Length; j++)
            {
                var substitution = previous[j - 1] + (char.ToLowerInvariant(a[i - 1]) == char.ToLowerInvariant(b[j - 1]) ? 0 : 1);
                current[j] = Math.Min(substitution, Math.Min(previous[j], current[j - 1]) + 1);
            }

            (previous, current) = (current, previous);
        }

        return previous[b.Length];
    }

    public static bool TryParse(
        Func<string, StringValues> lookup,
        DetectionOptions defaults,
        IReadOnlyList<string> classNames,
        out DetectionOptions options,
        out Dictionary<string, string[]> errors)
    {
        errors = [];
        options = defaults;

        if (TryRead(lookup, "confidence", errors, out var confidence))
        {
            if (TryFloat(confidence, out var value) && ParameterRanges.IsConfidence(value))
            {
                options = options with { Confidence = value };
            }
            else
            {
                errors["confidence"] = [$"confidence must be {ParameterRanges.Confidence} (got '{confidence}')."];
            }
        }

        if (TryRead(lookup, "iou", errors, out var iou))
        {
            if (TryFloat(iou, out var value) && ParameterRanges.IsIou(value))
            {
                options = options with { Iou = value };
            }
            else
            {
                errors["iou"] = [$"iou must be {ParameterRanges.Iou} (got '{iou}')."];
            }
        }

        if (TryRead(lookup, "max_detections", errors, out var max))
        {
            if (int.TryParse(max, NumberStyles.None, CultureInfo.InvariantCulture, out var value) && ParameterRanges.IsMaxDetections(value))
            {
                options = options with { MaxDetections = value };
            }
            else
            {
                errors["max_detections"] = [$"max_detections must be {ParameterRanges.MaxDetections} (got '{max}')."];
            }
        }

        if (TryRead(lookup, "agnostic", errors, out var agnostic))
        {
            if (TryBool(agnostic, out var value))
            {
                options = options with { Agnostic = value };
            }
            else
            {
                errors["agnostic"] = [$"agnostic must be true or false (got '{agnostic}')."];
            }
        }

        if (TryRead(lookup, "classes", errors, out var classes))
        {
            if (ClassFilter.TryParse(classes, classNames, out var ids, out var error))
            {
                options = options with { ClassIds = ids };
            }
            else
            {
                errors["classes"] = [$"classes: {error}"];
            }
        }

        return errors.Count == 0;
    }

    private static bool TryRead(Func<string, StringValues> lookup, string name, Dictionary<string, string[]> errors, out string value)
    {
        var values = lookup(name);
        value = values.ToString();
        if (values.Count > 1)
        {
            errors[name] = [$"{name} was given {values.Count} times; give it once."];
            return false;
        }

        return values.Count == 1;
    }

    public static bool TryFloat(string text, out float value) =>
        float.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out value) && float.IsFinite(value);

    /// <summary>true/false, 1/0, yes/no or on/off, in any case (Python clients send True and False, Roboflow's labels=on).</summary>
    public static bool TryBool(string text, out bool value)
    {
        switch (text.Trim().ToUpperInvariant())
        {
            case "TRUE" or "1" or "YES" or "ON":
                value = true;
                return true;
            case "FALSE" or "0" or "NO" or "OFF":
                value = false;
                return true;
            default:
                value = false;
                return false;
        }
    }
}
