using System.Globalization;
using Inference.Core.Postprocessing;
using Microsoft.Extensions.Primitives;

namespace Inference.Core.Contracts;

/// <summary>
/// Reads <c>confidence</c>, <c>iou</c>, <c>classes</c>, <c>max_detections</c> and <c>agnostic</c> from the query
/// string or form fields (a form field wins). Unknown parameters are ignored, as clients add their own (api keys).
/// </summary>
public static class DetectionParameters
{
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

    private static bool TryFloat(string text, out float value) =>
        float.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out value) && float.IsFinite(value);

    private static bool TryBool(string text, out bool value)
    {
        switch (text.Trim().ToUpperInvariant())
        {
            case "TRUE" or "1" or "YES":
                value = true;
                return true;
            case "FALSE" or "0" or "NO":
                value = false;
                return true;
            default:
                value = false;
                return false;
        }
    }
}
