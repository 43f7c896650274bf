using System.Buffers.Binary;
using System.Globalization;

namespace SwinFace.Imaging;

/// <summary>
/// Structural checks that decoders skip: whether an encoded image ends where its format says it must, and
/// how many frames an animated WebP holds. They read the container only, never the compressed data.
/// </summary>
internal static class ImageIntegrity
{
    /// <summary>Says why the file is cut short, or returns <see langword="null"/> when its structure ends properly or the format has no end to check.</summary>
    public static string? FindTruncation(ReadOnlySpan<byte> data)
    {
        if (data.Length >= 3 && data[0] == 0xFF && data[1] == 0xD8 && data[2] == 0xFF)
        {
            return JpegEnds(data) ? null : Ends(data.Length, "before the JPEG's end-of-image marker");
        }

        if (data.Length >= 8 && data[..8].SequenceEqual(PngSignature))
        {
            return PngTruncation(data);
        }

        if (data.Length >= 12 && data[..4].SequenceEqual("RIFF"u8) && data[8..12].SequenceEqual("WEBP"u8))
        {
            long declared = 8L + BinaryPrimitives.ReadUInt32LittleEndian(data[4..]);
            return declared > data.Length ? Ends(data.Length, string.Create(CultureInfo.InvariantCulture, $"but its RIFF header declares {declared:N0}")) : null;
        }

        if (data.Length >= 6 && (data[..6].SequenceEqual("GIF87a"u8) || data[..6].SequenceEqual("GIF89a"u8)))
        {
            return GifEnds(data) ? null : Ends(data.Length, "before the GIF's trailer");
        }

        if (data.Length >= 34 && data[0] == (byte)'B' && data[1] == (byte)'M')
        {
            return BmpTruncation(data);
        }

        return null;
    }

    /// <summary>
    /// The first frame of an animated WebP as a still WebP file, or <see langword="null"/> for any other file.
    /// ImageSharp 2 decodes no animated WebP; the first frame is the photo, as for GIF and TIFF.
    /// </summary>
    public static byte[]? FirstWebpFrame(ReadOnlySpan<byte> data)
    {
        if (data.Length < 30 || !data[..4].SequenceEqual("RIFF"u8) || !data[8..12].SequenceEqual("WEBP"u8) || !data[12..16].SequenceEqual("VP8X"u8)
            || (data[20] & 0x02) == 0)
        {
            return null;
        }

        for (long at = 12; at + 8 <= data.Length;)
        {
            long size = BinaryPrimitives.ReadUInt32LittleEndian(data[(int)(at + 4)..]);
            if (data.Slice((int)at, 4).SequenceEqual("ANMF"u8))
            {
                // 16 bytes of placement and timing, then the frame's own ALPH, VP8 or VP8L chunks.
                long start = at + 8 + 16;
                long end = Math.Min(data.Length, at + 8 + size);
                if (start >= end)
                {
                    return null;
                }

                ReadOnlySpan<byte> frame = data[(int)start..(int)end];
                bool alpha = frame.Length >= 4 && frame[..4].SequenceEqual("ALPH"u8);
                int width = 1 + (data[(int)at + 14] | (data[(int)at + 15] << 8) | (data[(int)at + 16] << 16));
                int height = 1 + (data[(int)at + 17] | (data[(int)at + 18] << 8) | (data[(int)at + 19] << 16));
                byte[] still = new byte[12 + (alpha ? 18 : 0) + frame.Length];
                "RIFF"u8.CopyTo(still);
                BinaryPrimitives.WriteUInt32LittleEndian(still.AsSpan(4), (uint)(still.Length - 8));
                "WEBP"u8.CopyTo(still.AsSpan(8));
                int body = 12;
                if (alpha)
                {
                    // A lossy frame with an alpha chunk needs the extended header that announces it.
                    "VP8X"u8.CopyTo(still.AsSpan(12));
                    BinaryPrimitives.WriteUInt32LittleEndian(still.AsSpan(16), 10);
                    still[20] = 0x10;
                    WriteUInt24(still.AsSpan(24), width - 1);
                    WriteUInt24(still.AsSpan(27), height - 1);
                    body = 30;
                }

                frame.CopyTo(still.AsSpan(body));
                return still;
            }

            at += 8 + size + (size & 1);
        }

        return null;
    }

    private static void WriteUInt24(Span<byte> destination, int value)
    {
        destination[0] = (byte)value;
        destination[1] = (byte)(value >> 8);
        destination[2] = (byte)(value >> 16);
    }

    private static ReadOnlySpan<byte> PngSignature => [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A];

    private static string Ends(int length, string where) =>
        string.Create(CultureInfo.InvariantCulture, $"the file ends after {length:N0} bytes, {where}");

    /// <summary>Walks the marker segments and entropy-coded scans to the EOI marker.</summary>
    private static bool JpegEnds(ReadOnlySpan<byte> d)
    {
        int at = 2;
        while (true)
        {
            // Bytes between segments are an error decoders warn about and skip; so does this walk.
            while (at < d.Length && d[at] != 0xFF)
            {
                at++;
            }

            while (at < d.Length && d[at] == 0xFF)
            {
                at++;
            }

            if (at >= d.Length)
            {
                return false;
            }

            byte marker = d[at++];
            if (marker == 0xD9)
            {
                return true;
            }

            if (marker is 0x01 or (>= 0xD0 and <= 0xD7) or 0xD8)
            {
                continue;
            }

            if (at + 2 > d.Length)
            {
                return false;
            }

            int length = (d[at] << 8) | d[at + 1];
            at += length;
            if (at > d.Length)
            {
                return false;
            }

            if (marker == 0xDA)
            {
                // Entropy-coded data runs to the next marker that is neither a stuffed zero nor a restart.
                while (at + 1 < d.Length && !(d[at] == 0xFF && d[at + 1] != 0x00 && d[at + 1] is not (>= 0xD0 and <= 0xD7)))
                {
                    at++;
                }

                if (at + 1 >= d.Length)
                {
                    return false;
                }
            }
        }
    }

    private static string? PngTruncation(ReadOnlySpan<byte> d)
    {
        long at = 8;
        while (at + 8 <= d.Length)
        {
            long length = BinaryPrimitives.ReadUInt32BigEndian(d[(int)at..]);
            string type = System.Text.Encoding.ASCII.GetString(d.Slice((int)at + 4, 4));
            long end = at + 12 + length;
            if (end > d.Length)
            {
                return Ends(d.Length, string.Create(CultureInfo.InvariantCulture, $"inside its {SafeName(type)} chunk, which needs {end:N0}"));
            }

            if (type == "IEND")
            {
                return null;
            }

            at = end;
        }

        return Ends(d.Length, "before the PNG's IEND chunk");
    }

    private static string SafeName(string type) => type.All(char.IsAsciiLetter) ? type : "a";

    private static bool GifEnds(ReadOnlySpan<byte> d)
    {
        if (d.Length < 13)
        {
            return false; // cut inside the logical screen descriptor (a fuzz finding: "GIF89a" alone)
        }

        int at = 13;
        if ((d[10] & 0x80) != 0)
        {
            at += 3 << ((d[10] & 7) + 1);
        }

        while (at < d.Length)
        {
            byte block = d[at++];
            if (block == 0x3B)
            {
                return true;
            }

            if (block == 0x21)
            {
                at++; // the extension's label
            }
            else if (block == 0x2C)
            {
                if (at + 9 > d.Length)
                {
                    return false;
                }

                byte flags = d[at + 8];
                at += 9;
                if ((flags & 0x80) != 0)
                {
                    at += 3 << ((flags & 7) + 1);
                }

                at++; // the LZW minimum code size
            }
            else
            {
                // Not a GIF block: the decoder stops here, and what follows is not the image's.
                return true;
            }

            // Sub-blocks, up to the zero-length terminator.
            while (at < d.Length && d[at] != 0)
            {
                at += d[at] + 1;
            }

            if (at >= d.Length)
            {
                return false;
            }

            at++;
        }

        return false;
    }

    private static string? BmpTruncation(ReadOnlySpan<byte> d)
    {
        uint offset = BinaryPrimitives.ReadUInt32LittleEndian(d[10..]);
        uint header = BinaryPrimitives.ReadUInt32LittleEndian(d[14..]);
        if (header < 40 || d.Length < 34)
        {
            return null;
        }

        int width = BinaryPrimitives.ReadInt32LittleEndian(d[18..]);
        int height = BinaryPrimitives.ReadInt32LittleEndian(d[22..]);
        int bits = BinaryPrimitives.ReadUInt16LittleEndian(d[28..]);
        uint compression = BinaryPrimitives.ReadUInt32LittleEndian(d[30..]);

        // Only uncompressed pixels (BI_RGB, BI_BITFIELDS) have a size known from the header.
        if (compression is not (0 or 3) || width <= 0 || height == 0 || bits is not (1 or 4 or 8 or 16 or 24 or 32))
        {
            return null;
        }

        long stride = (((long)width * bits) + 31) / 32 * 4;
        long needed = offset + (stride * Math.Abs((long)height));
        return needed > d.Length ? Ends(d.Length, string.Create(CultureInfo.InvariantCulture, $"but its {width} x {Math.Abs((long)height)} pixels need {needed:N0}")) : null;
    }
}
