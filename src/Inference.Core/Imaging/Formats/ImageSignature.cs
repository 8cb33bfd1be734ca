using System.Buffers.Binary;

namespace Inference.Core.Imaging.Formats;

/// <summary>
/// Identifies a container from its first bytes. Only the signature decides which structure check runs; no
/// decoder is asked to guess.
/// </summary>
internal static class ImageSignature
{
    private static readonly uint[] BmpInfoHeaderSizes = [12, 40, 52, 56, 64, 108, 124];

    public static ImageFormat? Identify(ReadOnlySpan<byte> data)
    {
        if (data.StartsWith((ReadOnlySpan<byte>)[0xFF, 0xD8, 0xFF]))
        {
            return ImageFormat.Jpeg;
        }

        if (data.StartsWith((ReadOnlySpan<byte>)[0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]))
        {
            return ImageFormat.Png;
        }

        if (data.StartsWith("GIF87a"u8) || data.StartsWith("GIF89a"u8))
        {
            return ImageFormat.Gif;
        }

        if (data.Length >= 12 && data.StartsWith("RIFF"u8) && data[8..].StartsWith("WEBP"u8))
        {
            return ImageFormat.WebP;
        }

        // "BM" alone starts plenty of text; the info header size must be one of the known ones too.
        if (data.Length >= 18 && data.StartsWith("BM"u8) &&
            Array.IndexOf(BmpInfoHeaderSizes, BinaryPrimitives.ReadUInt32LittleEndian(data[14..])) >= 0)
        {
            return ImageFormat.Bmp;
        }

        if (data.StartsWith("II*\0"u8) || data.StartsWith("MM\0*"u8))
        {
            return ImageFormat.Tiff;
        }

        return null;
    }
}
