using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Inference.Core.Model;

/// <summary>
/// Reads class names from ONNX metadata. Ultralytics writes <c>names</c> as a Python dict literal
/// (<c>{0: 'person', 1: "bicycle"}</c>); some exporters write JSON. Hand-written: no served library parses Python literals.
/// </summary>
public static class OnnxClassNames
{
    public const string MetadataKey = "names";

    public static IReadOnlyList<string>? FromMetadata(IReadOnlyDictionary<string, string> metadata) =>
        metadata.TryGetValue(MetadataKey, out var names) && TryParse(names, out var parsed) ? parsed : null;

    public static bool TryParse(string text, out IReadOnlyList<string> names)
    {
        names = [];
        text = text.Trim();
        if (text.StartsWith('['))
        {
            return TryParseJsonArray(text, out names);
        }

        if (!text.StartsWith('{') || !text.EndsWith('}'))
        {
            return false;
        }

        var byIndex = new SortedDictionary<int, string>();
        var reader = new LiteralReader(text, 1);
        while (true)
        {
            reader.SkipWhitespace();
            if (reader.TryConsume('}'))
            {
                break;
            }

            if (!reader.TryReadKey(out var index) || !reader.TryConsumeAfterWhitespace(':') ||
                !reader.TryReadString(out var name) || !byIndex.TryAdd(index, name))
            {
                return false;
            }

            reader.SkipWhitespace();
            if (!reader.TryConsume(',') && reader.Peek() != '}')
            {
                return false;
            }
        }

        // Indices must be exactly 0..n-1, or the names would be assigned to the wrong outputs.
        var ordered = new List<string>(byIndex.Count);
        foreach (var (index, name) in byIndex)
        {
            if (index != ordered.Count)
            {
                return false;
            }

            ordered.Add(name);
        }

        names = ordered;
        return ordered.Count > 0;
    }

    private static bool TryParseJsonArray(string text, out IReadOnlyList<string> names)
    {
        names = [];
        try
        {
            var parsed = JsonSerializer.Deserialize<string[]>(text);
            if (parsed is null || parsed.Length == 0 || parsed.Any(string.IsNullOrEmpty))
            {
                return false;
            }

            names = parsed;
            return true;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    private ref struct LiteralReader(string text, int position)
    {
        private readonly string _text = text;
        private int _position = position;

        public readonly char Peek() => _position < _text.Length ? _text[_position] : '\0';

        public void SkipWhitespace()
        {
            while (_position < _text.Length && char.IsWhiteSpace(_text[_position]))
            {
                _position++;
            }
        }

        public bool TryConsume(char c)
        {
            if (Peek() != c)
            {
                return false;
            }

            _position++;
            return true;
        }

        public bool TryConsumeAfterWhitespace(char c)
        {
            SkipWhitespace();
            return TryConsume(c);
        }

        public bool TryReadKey(out int value)
        {
            SkipWhitespace();
            if (Peek() is '\'' or '"')
            {
                value = 0;
                return TryReadString(out var quoted) && int.TryParse(quoted, NumberStyles.None, CultureInfo.InvariantCulture, out value);
            }

            var start = _position;
            while (char.IsAsciiDigit(Peek()))
            {
                _position++;
            }

            return int.TryParse(_text.AsSpan(start, _position - start), NumberStyles.None, CultureInfo.InvariantCulture, out value);
        }

        public bool TryReadString(out string value)
        {
            value = string.Empty;
            SkipWhitespace();
            var quote = Peek();
            if (quote is not ('\'' or '"'))
            {
                return false;
            }

            _position++;
            var builder = new StringBuilder();
            while (_position < _text.Length)
            {
                var c = _text[_position++];
                if (c == quote)
                {
                    value = builder.ToString();
                    return value.Length > 0;
                }

                if (c == '\\' && _position < _text.Length)
                {
                    c = _text[_position++];
                }

                builder.Append(c);
            }

            return false;
        }
    }
}
