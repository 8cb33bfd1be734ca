namespace Inference.Core.Imaging.Formats;

/// <summary>Collects the runs a codec is shown, merging neighbours so a kept run of chunks stays one range.</summary>
internal sealed class RangeBuilder
{
    private readonly List<SourceRange> _ranges = [];

    public IReadOnlyList<SourceRange> Ranges => _ranges;

    public void Add(int offset, int length)
    {
        if (length <= 0)
        {
            return;
        }

        if (_ranges.Count > 0 && _ranges[^1] is { EndsRead: false } last && last.Offset + last.Length == offset)
        {
            _ranges[^1] = last with { Length = last.Length + length };
            return;
        }

        _ranges.Add(new SourceRange(offset, length));
    }

    /// <summary>Makes the codec's next read start at the next range.</summary>
    public void EndRead()
    {
        if (_ranges.Count > 0)
        {
            _ranges[^1] = _ranges[^1] with { EndsRead = true };
        }
    }
}
