using System.Text;

namespace Inference.Core.Imaging.Formats;

/// <summary>
/// Recognises common image formats that the decoder does not handle, so that a HEIC or AVIF upload is told
/// "unsupported" rather than "not an image". Hand-written: neither Skia nor ImageSharp is asked about formats it will not decode.
/// </summary>
internal static class UnsupportedFormatSignatures
{
    private static readonly string[] IsoMediaImageBrands = ["heic", "heix", "hevc", "hevx", "heim", "heis", "mif1", "msf1", "avif", "avis"];

    public static string? Identify(ReadOnlySpan<byte> data)
    {
        if (data.Length >= 12 && data.Slice(4, 4).SequenceEqual("ftyp"u8))
        {
            var brand = Encoding.ASCII.GetString(data.Slice(8, 4));
            if (Array.IndexOf(IsoMediaImageBrands, brand) >= 0)
            {
                return brand.StartsWith("avi", StringComparison.Ordinal) ? "AVIF" : "HEIF";
            }
        }

        if (data.StartsWith("\0\0\0\x0CJXL \r\n\x87\n"u8) || data.StartsWith((ReadOnlySpan<byte>)[0xFF, 0x0A]))
        {
            return "JPEG XL";
        }

        if (data.StartsWith("\0\0\0\x0CjP  \r\n\x87\n"u8) || data.StartsWith((ReadOnlySpan<byte>)[0xFF, 0x4F, 0xFF, 0x51]))
        {
            return "JPEG 2000";
        }

        if (data.StartsWith("8BPS"u8))
        {
            return "PSD";
        }

        if (data.StartsWith((ReadOnlySpan<byte>)[0x00, 0x00, 0x01, 0x00]) || data.StartsWith("qoif"u8))
        {
            return data[0] == 'q' ? "QOI" : "ICO";
        }

        if (data.Length >= 2 && data[0] == 'P' && data[1] is >= (byte)'1' and <= (byte)'7')
        {
            return "Netpbm";
        }

        var head = data[..Math.Min(data.Length, 512)];
        return head.IndexOf("<svg"u8) >= 0 ? "SVG" : null;
    }
}
