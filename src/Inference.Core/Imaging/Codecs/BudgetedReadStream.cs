namespace Inference.Core.Imaging.Codecs;

/// <summary>
/// A read-only view of the uploaded bytes for a managed decoder; every read checks the budget and throws once
/// it is spent, which ImageSharp lets through as it does its own cancellation.
/// </summary>
internal sealed class BudgetedReadStream(ReadOnlyMemory<byte> data, DecodeBudget budget) : Stream
{
    private int _position;

    public override bool CanRead => true;

    public override bool CanSeek => true;

    public override bool CanWrite => false;

    public override long Length => data.Length;

    public override long Position
    {
        get => _position;
        set => _position = (int)Math.Clamp(value, 0, data.Length);
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        if (budget.IsSpent)
        {
            throw new OperationCanceledException("The image decode budget is spent.");
        }

        var count = Math.Min(buffer.Length, data.Length - _position);
        data.Span.Slice(_position, count).CopyTo(buffer);
        _position += count;
        return count;
    }

    public override long Seek(long offset, SeekOrigin origin)
    {
        Position = origin switch
        {
            SeekOrigin.Begin => offset,
            SeekOrigin.Current => _position + offset,
            _ => data.Length + offset,
        };
        return _position;
    }

    public override void Flush()
    {
    }

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
