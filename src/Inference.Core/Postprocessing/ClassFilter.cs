using System.Globalization;

namespace Inference.Core.Postprocessing;

/// <summary>Parses a request's class filter: names or ids, comma separated (<c>person,2,dog</c>).</summary>
public static class ClassFilter
{
    public static bool TryParse(string? text, IReadOnlyList<string> classNames, out IReadOnlySet<int>? classIds, out string? error)
    {
        ArgumentNullException.ThrowIfNull(classNames);
        classIds = null;
        error = null;
        if (string.IsNullOrWhiteSpace(text))
        {
            return true;
        }

        var ids = new HashSet<int>();
        foreach (var raw in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var id = IndexOf(raw, classNames);
            if (id < 0 && int.TryParse(raw, NumberStyles.None, CultureInfo.InvariantCulture, out var number) && number < classNames.Count)
            {
                id = number;
            }

            if (id < 0)
            {
                error = $"'{raw}' is not a class of this model; use a name or an id between 0 and {classNames.Count - 1}.";
                return false;
            }

            ids.Add(id);
        }

        if (ids.Count == 0)
        {
            error = "classes must name at least one class.";
            return false;
        }

        classIds = ids;
        return true;
    }

    private static int IndexOf(string name, IReadOnlyList<string> classNames)
    {
        for (var i = 0; i < classNames.Count; i++)
        {
            if (string.Equals(classNames[i], name, StringComparison.OrdinalIgnoreCase))
            {
                return i;
            }
        }

        return -1;
    }
}
