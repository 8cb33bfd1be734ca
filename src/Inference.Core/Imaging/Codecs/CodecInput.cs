using Inference.Core.Imaging.Formats;
using SkiaSharp;

namespace Inference.Core.Imaging.Codecs;

/// <summary>
/// What a Skia codec reads: the ranges a structure check kept, concatenated, straight from the uploaded memory
/// (no copy of the body). Every read first checks the budget and answers "end of data" once it is spent, which
/// every Skia codec turns into a prompt return; a read also stops at a range marked
/// <see cref="SourceRange.EndsRead"/>, so a JPEG's scans each begin with a read (and a check).
/// </summary>
/// <remarks>
/// Called from native code: nothing here may throw, because an exception cannot unwind through Skia's frames.
/// </remarks>
internal sealed unsafe class CodecInput : SKAbstractManagedStream
{
    private readonly (ReadOnlyMemory<byte> Bytes, bool EndsRead)[] _parts;
    private readonly long _length;
    private readonly DecodeBudget _budget;
    private long _position;
    private int _part;
    private int _offsetInPart;

    public CodecInput(ReadOnlyMemory<byte> data, ImageHeader header, DecodeBudget budget)
    {
        _budget = budget;
        var ranges = header.Ranges;
        var parts = new List<(ReadOnlyMemory<byte>, bool)>(ranges.Count + 1);
        if (ranges.Count == 0)
        {
            parts.Add((data, false));
        }

        foreach (var range in ranges)
        {
            parts.Add((data.Slice(range.Offset, range.Length), range.EndsRead));
        }

        if (!header.Suffix.IsEmpty)
        {
            parts.Add((header.Suffix, false));
        }

        _parts = [.. parts];
        foreach (var (bytes, _) in _parts)
        {
            _length += bytes.Length;
        }
    }

    protected override IntPtr OnRead(IntPtr buffer, IntPtr size)
    {
        try
        {
            if (_budget.IsSpent)
            {
                return IntPtr.Zero;
            }

            return new IntPtr(Copy(buffer, (long)size, advance: true));
        }
        catch (Exception)
        {
            // Never unwind into native code; "end of data" makes the codec stop, and the caller sees the cause.
            return IntPtr.Zero;
        }
    }

    protected override IntPtr OnPeek(IntPtr buffer, IntPtr size)
    {
        var (part, offset, position) = (_part, _offsetInPart, _position);
        var copied = Copy(buffer, (long)size, advance: false);
        (_part, _offsetInPart, _position) = (part, offset, position);
        return new IntPtr(copied);
    }

    protected override bool OnIsAtEnd() => _position >= _length;

    protected override bool OnHasPosition() => true;

    protected override bool OnHasLength() => true;

    protected override bool OnRewind() => OnSeek(IntPtr.Zero);

    protected override IntPtr OnGetPosition() => new IntPtr(_position);

    protected override IntPtr OnGetLength() => new IntPtr(_length);

    protected override bool OnSeek(IntPtr position)
    {
        var remaining = Math.Clamp((long)position, 0, _length);
        _position = remaining;
        _part = 0;
        while (_part < _parts.Length && remaining >= _parts[_part].Bytes.Length)
        {
            remaining -= _parts[_part].Bytes.Length;
            _part++;
        }

        _offsetInPart = (int)remaining;
        return true;
    }

    protected override bool OnMove(int offset) => OnSeek(new IntPtr(_position + offset));

    // Skia falls back to reading when a stream cannot be duplicated or forked.
    protected override IntPtr OnCreateNew() => IntPtr.Zero;

    protected override IntPtr OnDuplicate() => IntPtr.Zero;

    protected override IntPtr OnFork() => IntPtr.Zero;

    private long Copy(IntPtr buffer, long size, bool advance)
    {
        long copied = 0;
        while (copied < size && _part < _parts.Length)
        {
            var (bytes, endsRead) = _parts[_part];
            var take = (int)Math.Min(size - copied, bytes.Length - _offsetInPart);
            if (buffer != IntPtr.Zero)
            {
                bytes.Span.Slice(_offsetInPart, take).CopyTo(new Span<byte>((byte*)buffer + copied, take));
            }

            copied += take;
            _offsetInPart += take;
            _position += take;
            if (_offsetInPart == bytes.Length)
            {
                _part++;
                _offsetInPart = 0;
                if (endsRead && advance && copied > 0)
                {
                    break;
                }
            }
        }

        return copied;
    }
}
