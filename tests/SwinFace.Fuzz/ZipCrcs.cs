using System.Buffers.Binary;
using System.IO.Hashing;

namespace SwinFace.Fuzz;

/// <summary>
/// Rewrites the CRC-32 of every stored ZIP entry that can be found, in the central directory and in the local
/// header, as the gallery target rewrites its SHA-256: otherwise nearly every mutation of an entry's bytes stops
/// at its CRC, and the parsers after it (the manifest's JSON, the pickle, the storages) are never reached. The
/// CRC check itself is one comparison, tested by the unit tests.
/// </summary>
/// <remarks>
/// Deliberately naive and independent of the reader under test: it scans for central-directory signatures and
/// skips any record whose header or data lies outside the input, so a mutated archive is fixed up as far as it
/// can be and left otherwise as it was.
/// </remarks>
internal static class ZipCrcs
{
    public static void FixUp(byte[] zip)
    {
        for (int p = 0; p + 46 <= zip.Length; p++)
        {
            if (U32(zip, p) != 0x02014b50)
            {
                continue;
            }

            long size = U32(zip, p + 24);
            long local = U32(zip, p + 42);
            int nameLength = U16(zip, p + 28), extraLength = U16(zip, p + 30);
            if (p + 46L + nameLength + extraLength <= zip.Length)
            {
                Zip64(zip.AsSpan(p + 46 + nameLength, extraLength), U32(zip, p + 20) == uint.MaxValue, ref size, ref local);
            }

            if (local < 0 || local > zip.Length - 30 || U32(zip, (int)local) != 0x04034b50)
            {
                continue;
            }

            long data = local + 30 + U16(zip, (int)local + 26) + U16(zip, (int)local + 28);
            if (size < 0 || data > zip.Length || size > zip.Length - data)
            {
                continue;
            }

            uint crc = Crc32.HashToUInt32(zip.AsSpan((int)data, (int)size));
            BinaryPrimitives.WriteUInt32LittleEndian(zip.AsSpan(p + 16), crc);
            BinaryPrimitives.WriteUInt32LittleEndian(zip.AsSpan((int)local + 14), crc);
        }
    }

    /// <summary>The ZIP64 extra field holds, in order, the sizes and offset whose 32-bit fields are all ones.</summary>
    private static void Zip64(ReadOnlySpan<byte> extra, bool compressedIsZip64, ref long size, ref long local)
    {
        while (extra.Length >= 4)
        {
            int id = U16(extra, 0), n = U16(extra, 2);
            ReadOnlySpan<byte> body = extra.Slice(4, Math.Min(n, extra.Length - 4));
            if (id == 1)
            {
                int q = 0;
                size = Take(body, ref q, size);
                if (compressedIsZip64)
                {
                    q += 8;
                }

                local = Take(body, ref q, local);
                return;
            }

            extra = extra[Math.Min(extra.Length, 4 + n)..];
        }
    }

    private static long Take(ReadOnlySpan<byte> body, ref int q, long value)
    {
        if (value != uint.MaxValue || body.Length - q < 8)
        {
            return value;
        }

        ulong wide = BinaryPrimitives.ReadUInt64LittleEndian(body[q..]);
        q += 8;
        return wide > long.MaxValue ? -1 : (long)wide;
    }

    private static int U16(ReadOnlySpan<byte> b, int at) => BinaryPrimitives.ReadUInt16LittleEndian(b[at..]);

    private static uint U32(ReadOnlySpan<byte> b, int at) => BinaryPrimitives.ReadUInt32LittleEndian(b[at..]);
}
